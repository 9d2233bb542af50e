// Prints vk_alphabeta_12 for a verification_key.json the way snarkjs computes it when it exports a
// verification key (`zkey export verificationkey`): curve.pairing(vk_alpha_1, vk_beta_2), written
// with curve.Gt.toObject and decimal strings, as one line of JSON.
//
// usage: node alphabeta.cjs <verification_key.json>

const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');

// ffjavascript is the field library snarkjs uses; load the copy snarkjs itself resolves.
const ffjavascript = createRequire(require.resolve('snarkjs'))('ffjavascript');

async function main() {
  const path = process.argv[2];
  if (!path) throw new Error('usage: node alphabeta.cjs <verification_key.json>');
  const vk = ffjavascript.utils.unstringifyBigInts(JSON.parse(readFileSync(path, 'utf8')));
  const curve = await ffjavascript.buildBn128(true);
  const alpha = curve.G1.fromObject(vk.vk_alpha_1);
  const beta = curve.G2.fromObject(vk.vk_beta_2);
  const alphabeta = curve.Gt.toObject(await curve.pairing(alpha, beta));
  console.log(JSON.stringify(ffjavascript.utils.stringifyBigInts(alphabeta)));
  await curve.terminate();
}

main().catch((e) => {
  console.error(e.message ?? e);
  process.exit(1);
});
