"""Trains ramjet's demo model for proof of inference and exports it to ONNX.

A 64-32-10 multilayer perceptron with ReLU, trained on scikit-learn's bundled digits data set
(1,797 8x8 grey-level images of handwritten digits, shipped with the package: no download).
Pixels (0 to 16) are divided by 16, so the model's input is 64 floats in [0, 1].

Writes, next to this script:
- digits.onnx: the model, built node by node with onnx.helper from the trained weights:
  Flatten -> Gemm (transB=1, weights stored [out, in]) -> Relu -> MatMul -> Add;
  input "pixels" of shape [batch, 64], output "logits" of shape [batch, 10];
- test.json: the held-out test set (20 %, stratified), {"features": [[64 floats]...],
  "labels": [...]}, which ramjet's tests use to measure float and quantised accuracy;
- input.json: the first test image as a `ramjet infer` input file, {"input": [64 floats]}.

Everything is deterministic (fixed seeds). Run: python3 train.py  (needs scikit-learn, onnx).
The accuracy ramjet reports is measured by ramjet itself (`ramjet infer accuracy`), not here.
"""

import json
import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

HERE = pathlib.Path(__file__).resolve().parent


def main() -> None:
    digits = load_digits()
    x = digits.data.astype(np.float32) / 16.0
    y = digits.target
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, random_state=0, stratify=y
    )
    mlp = MLPClassifier(
        hidden_layer_sizes=(32,),
        activation="relu",
        max_iter=600,
        random_state=0,
    )
    mlp.fit(x_train, y_train)
    print(f"scikit-learn test accuracy: {mlp.score(x_test, y_test):.4f}")

    w1, w2 = (w.astype(np.float32) for w in mlp.coefs_)  # [64, 32], [32, 10]
    b1, b2 = (b.astype(np.float32) for b in mlp.intercepts_)
    initializers = [
        numpy_helper.from_array(np.ascontiguousarray(w1.T), "fc1.weight"),  # [32, 64]
        numpy_helper.from_array(b1, "fc1.bias"),
        numpy_helper.from_array(w2, "fc2.weight"),  # [32, 10]
        numpy_helper.from_array(b2, "fc2.bias"),
    ]
    nodes = [
        helper.make_node("Flatten", ["pixels"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "fc1.weight", "fc1.bias"], ["fc1"], transB=1),
        helper.make_node("Relu", ["fc1"], ["hidden"]),
        helper.make_node("MatMul", ["hidden", "fc2.weight"], ["fc2"]),
        helper.make_node("Add", ["fc2", "fc2.bias"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "digits-mlp-64-32-10",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
        initializers,
    )
    model = helper.make_model(
        graph,
        producer_name="ramjet prover/models/digits/train.py",
        opset_imports=[helper.make_opsetid("", 13)],
    )
    onnx.checker.check_model(model)
    onnx.save(model, str(HERE / "digits.onnx"))

    # Float32 values k/16 are written exactly by repr; JSON stays small and readable.
    features = [[float(v) for v in row] for row in x_test]
    with open(HERE / "test.json", "w") as f:
        json.dump({"features": features, "labels": [int(v) for v in y_test]}, f,
                  separators=(",", ":"))
        f.write("\n")
    with open(HERE / "input.json", "w") as f:
        json.dump({"input": features[0]}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
