#!/usr/bin/env node
// face-api's view of snapshots (issue 20), shared by scripts/face-realism.sh and
// scripts/face-bank.py: for every entry of a JSON manifest (a list of objects with a
// `file`), one JSON line, the entry with `faces` (how many faces @vladmandic/face-api's SSD
// MobileNet found) and, when exactly one, its 128-d `descriptor` from face-api's 68-point
// landmarks and recognition net, on TensorFlow.js's WebAssembly backend.
//
//   node scripts/face-api-describe.js NODE_DIR MANIFEST
//
// NODE_DIR holds node_modules with @vladmandic/face-api, @tensorflow/tfjs,
// @tensorflow/tfjs-backend-wasm and jpeg-js (scripts/face-realism.sh installs them in
// target/face-realism-node); the models ship inside the package.
const path = require('path');
const fs = require('fs');
const root = process.argv[2];
const need = (m) => require(path.join(root, 'node_modules', m));
const tf = need('@tensorflow/tfjs');
const wasm = need('@tensorflow/tfjs-backend-wasm');
const faceapi = need('@vladmandic/face-api/dist/face-api.node-wasm.js');
const jpeg = need('jpeg-js');
(async () => {
  wasm.setWasmPaths(path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
  await tf.setBackend('wasm');
  await tf.ready();
  const model = path.join(root, 'node_modules/@vladmandic/face-api/model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(model);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(model);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(model);
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 });
  for (const shot of JSON.parse(fs.readFileSync(process.argv[3]))) {
    const img = jpeg.decode(fs.readFileSync(shot.file), { useTArray: true, formatAsRGBA: false });
    const t = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
    const found = await faceapi.detectAllFaces(t, options).withFaceLandmarks().withFaceDescriptors();
    t.dispose();
    const out = { ...shot, faces: found.length };
    if (found.length === 1) out.descriptor = Array.from(found[0].descriptor);
    console.log(JSON.stringify(out));
  }
})();
