/**
 * bench/make-image.mjs DIR SIZE_MB [LAYERS]: writes an OCI image layout at DIR
 * (tag "1") of about SIZE_MB of layer content in LAYERS gzip layers (default 4):
 * half of each layer random bytes (incompressible), half text (compresses), as
 * real images mix binaries and text. Prints the total compressed layer bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, constants } from 'node:zlib';

const [dir, sizeText, layersText] = process.argv.slice(2);
const size = Number(sizeText) * 1e6;
const nLayers = Number(layersText ?? 4);
if (!dir || !(size > 0)) { console.error('usage: make-image.mjs DIR SIZE_MB [LAYERS]'); process.exit(2); }
const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blobs = join(dir, 'blobs', 'sha256');
mkdirSync(blobs, { recursive: true });
const put = (b) => { const d = sha(b); writeFileSync(join(blobs, d.slice(7)), b); return d; };

function tarFile(name, body) {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000644\0', 100); h.write('0000000\0', 108); h.write('0000000\0', 116);
  h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257); h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([h, body, pad]);
}

const layers = [];
const diffIds = [];
let compressed = 0;
const per = Math.floor(size / nLayers);
const text = Buffer.from('pier bench: lorem ipsum dolor sit amet, consectetur adipiscing elit 0123456789\n'.repeat(Math.ceil(per / 2 / 80))).subarray(0, Math.floor(per / 2));
for (let i = 0; i < nLayers; i++) {
  const tar = Buffer.concat([tarFile(`layer${i}/random.bin`, randomBytes(Math.ceil(per / 2))), tarFile(`layer${i}/text.txt`, text), Buffer.alloc(1024)]);
  const gz = gzipSync(tar, { level: constants.Z_BEST_SPEED });
  diffIds.push(sha(tar));
  layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: put(gz), size: gz.length });
  compressed += gz.length;
}
const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } }));
const cfg = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length };
const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: cfg, layers }));
const md = put(manifest);
writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': '1' } }] }));
process.stdout.write(`${compressed}\n`);
