#!/usr/bin/env python3
"""EZKL on one ONNX model and input, as a user runs it: the baseline of ramjet-bench's
proof-of-inference cases.

    python prove.py --onnx MODEL.onnx --input INPUT.json --workdir DIR [--repeats N]

INPUT.json is ramjet's input file, {"input": [floats]}. The pipeline is EZKL's documented one:
gen_settings (input and output public, weights fixed, as ramjet's fixed binding), calibrate_settings
(target "resources"), compile_circuit, gen_srs (a local SRS: for measurement only, not a ceremony),
setup, gen_witness, then `repeats` proofs and verifications. Each proof runs in a fresh child
process, so that its peak resident memory is its own (getrusage of the child; the interpreter and
the ezkl module are included). Prints one JSON object on stdout; progress goes to stderr.
"""

import argparse
import asyncio
import inspect
import json
import os
import resource
import subprocess
import sys
import time


def call(fn, *args, **kwargs):
    """Calls an ezkl function, awaiting it when this ezkl version made it async."""
    result = fn(*args, **kwargs)
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    return result


def child_prove(paths):
    """In a child process: one proof, timed around ezkl.prove alone."""
    import ezkl

    started = time.perf_counter()
    call(ezkl.prove, paths["witness"], paths["compiled"], paths["pk"], paths["proof"], paths["srs"])
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"prove_s": elapsed, "peak_rss_bytes": peak}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child-prove", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_prove:
        child_prove(json.loads(args.child_prove))
        return

    import ezkl

    os.makedirs(args.workdir, exist_ok=True)
    p = {
        name: os.path.join(args.workdir, file)
        for name, file in [
            ("data", "input.json"),
            ("settings", "settings.json"),
            ("compiled", "model.compiled"),
            ("srs", "kzg.srs"),
            ("vk", "vk.key"),
            ("pk", "pk.key"),
            ("witness", "witness.json"),
            ("proof", "proof.json"),
        ]
    }
    with open(args.input) as f:
        values = json.load(f)["input"]
    with open(p["data"], "w") as f:
        json.dump({"input_data": [values]}, f)

    def step(what):
        print(f"ezkl: {what}", file=sys.stderr, flush=True)

    step("gen_settings, calibrate_settings")
    run_args = ezkl.PyRunArgs()
    run_args.input_visibility = "public"
    run_args.output_visibility = "public"
    run_args.param_visibility = "fixed"
    # A symbolic batch dimension is one sample, as ramjet proves one.
    import onnx

    graph = onnx.load(args.onnx).graph
    symbols = {
        d.dim_param
        for io in list(graph.input) + list(graph.output)
        for d in io.type.tensor_type.shape.dim
        if d.dim_param
    }
    run_args.variables = [(s, 1) for s in sorted(symbols)]
    call(ezkl.gen_settings, args.onnx, p["settings"], py_run_args=run_args)
    call(ezkl.calibrate_settings, p["data"], args.onnx, p["settings"], "resources")
    with open(p["settings"]) as f:
        settings = json.load(f)
    logrows = settings["run_args"]["logrows"]

    step(f"compile_circuit, gen_srs (logrows {logrows}), setup")
    started = time.perf_counter()
    call(ezkl.compile_circuit, args.onnx, p["compiled"], p["settings"])
    call(ezkl.gen_srs, p["srs"], logrows)
    call(ezkl.setup, p["compiled"], p["vk"], p["pk"], p["srs"])
    setup_s = time.perf_counter() - started

    step("gen_witness")
    started = time.perf_counter()
    call(ezkl.gen_witness, p["data"], p["compiled"], p["witness"])
    witness_s = time.perf_counter() - started

    proofs, verifies = [], []
    for i in range(args.repeats):
        step(f"prove {i + 1}/{args.repeats}")
        out = subprocess.run(
            [sys.executable, __file__, "--onnx", args.onnx, "--input", args.input,
             "--workdir", args.workdir, "--child-prove", json.dumps(p)],
            check=True, capture_output=True, text=True,
        )
        proofs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        step(f"verify {i + 1}/{args.repeats}")
        started = time.perf_counter()
        ok = call(ezkl.verify, p["proof"], p["settings"], p["vk"], p["srs"])
        verifies.append(time.perf_counter() - started)
        if not ok:
            sys.exit("ezkl: the proof does not verify")

    with open(p["proof"]) as f:
        proof = json.load(f)
    raw = proof.get("proof")
    raw_bytes = len(raw) if isinstance(raw, list) else (len(raw) - 2) // 2 if isinstance(raw, str) else None
    print(json.dumps({
        "implementation": f"ezkl {getattr(ezkl, '__version__', '?')}",
        "logrows": logrows,
        "scales": [settings["run_args"].get("input_scale"), settings["run_args"].get("param_scale")],
        "setup_s": setup_s,
        "witness_s": witness_s,
        "prove_s": [p_["prove_s"] for p_ in proofs],
        "prove_peak_rss_bytes": max(p_["peak_rss_bytes"] for p_ in proofs),
        "verify_s": verifies,
        "proof_file_bytes": os.path.getsize(p["proof"]),
        "proof_bytes": raw_bytes,
    }))


if __name__ == "__main__":
    main()
