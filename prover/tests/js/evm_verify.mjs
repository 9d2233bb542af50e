// Compiles a Solidity verifier written by ramjet_prover::formats::solidity with solc-js, deploys
// it in an in-memory EVM (@ethereumjs/evm, Cancun rules, its default JavaScript BN254 precompiles
// from @noble/curves) and calls verifyProof with each calldata file.
//
// usage: node evm_verify.mjs <Verifier.sol> <ContractName> <calldata.txt>...
//
// Each calldata file holds the arguments in snarkjs' `generatecall` format:
//   ["0x..", "0x.."],[["0x..", "0x.."],["0x..", "0x.."]],["0x..", "0x.."],["0x..",...]
//
// Output, one line each:
//   compiled: solc <version>, <n> warning(s), runtime <bytes> bytes
//   warning: <message>               (per warning)
//   <calldata.txt>: true|false|error <message> gas=<gas used>
// Exit code 0 if everything ran (whatever verifyProof returned), 1 on a usage, compile or
// deployment error.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createRequire } from 'node:module';
import { createEVM } from '@ethereumjs/evm';
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { bytesToHex, hexToBytes } from '@ethereumjs/util';

const require = createRequire(import.meta.url);
const solc = require('solc');

function fail(message) {
  console.error(message);
  process.exit(1);
}

const [solPath, contractName, ...callPaths] = process.argv.slice(2);
if (!solPath || !contractName || callPaths.length === 0) {
  fail('usage: node evm_verify.mjs <Verifier.sol> <ContractName> <calldata.txt>...');
}

const source = readFileSync(solPath, 'utf8');
const input = {
  language: 'Solidity',
  sources: { [basename(solPath)]: { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'cancun',
    outputSelection: { '*': { '*': ['evm.bytecode.object', 'evm.methodIdentifiers'] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const diagnostics = output.errors ?? [];
const errors = diagnostics.filter((d) => d.severity === 'error');
const warnings = diagnostics.filter((d) => d.severity !== 'error');
if (errors.length > 0) {
  fail(`solc errors:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
}
const contract = output.contracts?.[basename(solPath)]?.[contractName];
if (!contract) fail(`solc output has no contract ${contractName}`);
const signature = Object.keys(contract.evm.methodIdentifiers).find((s) => s.startsWith('verifyProof('));
if (!signature) fail('the contract has no verifyProof');
const selector = contract.evm.methodIdentifiers[signature];
const nPublic = Number(/uint256\[(\d+)\]\)$/.exec(signature)?.[1]);

const common = new Common({ chain: Mainnet, hardfork: Hardfork.Cancun });
const evm = await createEVM({ common });
const deployed = await evm.runCall({
  data: hexToBytes(`0x${contract.evm.bytecode.object}`),
  gasLimit: 30_000_000n,
});
if (deployed.execResult.exceptionError || !deployed.createdAddress) {
  fail(`deployment failed: ${deployed.execResult.exceptionError?.error}`);
}
const runtime = await evm.stateManager.getCode(deployed.createdAddress);
console.log(
  `compiled: solc ${solc.version()}, ${warnings.length} warning(s), runtime ${runtime.length} bytes, ${signature}`,
);
for (const w of warnings) console.log(`warning: ${w.formattedMessage.replace(/\n/g, ' ')}`);

function word(value) {
  const n = BigInt(value);
  if (n < 0n || n >= 1n << 256n) throw new Error(`${value} does not fit in 32 bytes`);
  return n.toString(16).padStart(64, '0');
}

for (const path of callPaths) {
  const [a, b, c, inputs] = JSON.parse(`[${readFileSync(path, 'utf8')}]`);
  if (inputs.length !== nPublic) fail(`${path}: ${inputs.length} inputs, the contract takes ${nPublic}`);
  const words = [...a, ...b.flat(), ...c, ...inputs].map(word).join('');
  const result = await evm.runCall({
    to: deployed.createdAddress,
    data: hexToBytes(`0x${selector}${words}`),
    gasLimit: 10_000_000n,
  });
  const { exceptionError, returnValue, executionGasUsed } = result.execResult;
  let verdict;
  if (exceptionError) {
    verdict = `error ${exceptionError.error}`;
  } else if (returnValue.length === 32 && BigInt(bytesToHex(returnValue)) <= 1n) {
    verdict = BigInt(bytesToHex(returnValue)) === 1n ? 'true' : 'false';
  } else {
    verdict = `error unexpected return data ${bytesToHex(returnValue)}`;
  }
  console.log(`${basename(path)}: ${verdict} gas=${executionGasUsed}`);
}
