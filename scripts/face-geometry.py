#!/usr/bin/env python3
"""How far apart dlib's face model puts facesim's face geometries (issue 20), run by hand.

Draws CANDIDATES geometry ids (`Geometry::of(id)` in simulator/src/synth/face.rs), each in
VIEWS snapshots with other colours, hair, accessories and shots (the `face-sheet` example of
facesim-benches), describes every snapshot with dlib's ResNet face descriptor, and prints
how far the views of one geometry lie apart, how far two geometries lie apart, and how many
geometries a greedy choice (in id order) keeps at a mean distance of at least THRESHOLD from
every one kept before: the size a bank of identities the model separates could have.

Run it with the face-realism virtualenv (scripts/face-realism.sh installs it):
  target/face-realism-venv/bin/python scripts/face-geometry.py [CANDIDATES] [VIEWS] [THRESHOLD]
Defaults: 200 candidates, 3 views, threshold 0.6. Deterministic for the same arguments.
"""
import itertools, os, subprocess, sys, tempfile

import cv2, dlib, numpy as np, face_recognition_models as models

candidates = int(sys.argv[1]) if len(sys.argv) > 1 else 200
views = int(sys.argv[2]) if len(sys.argv) > 2 else 3
threshold = float(sys.argv[3]) if len(sys.argv) > 3 else 0.6
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "facesim-benches",
                "--example", "face-sheet"], cwd=root, check=True)
sheet = os.path.join(root, "target", "release", "examples", "face-sheet")
# Candidate ids are spread over the u64 range by a fixed multiplier, so they look random.
ids = [(i * 0x9E3779B97F4A7C15 + 0x1234567) % (1 << 64) for i in range(1, candidates + 1)]

hog = dlib.get_frontal_face_detector()
shape = dlib.shape_predictor(models.pose_predictor_model_location())
resnet = dlib.face_recognition_model_v1(models.face_recognition_model_location())

described = {}
with tempfile.TemporaryDirectory() as out:
    for chunk in range(0, len(ids), 50):
        subprocess.run([sheet, out, str(views)] + [str(i) for i in ids[chunk:chunk + 50]],
                       check=True)
    for i in ids:
        found = []
        for v in range(views):
            rgb = cv2.cvtColor(cv2.imread(f"{out}/{i}-{v}.jpg"), cv2.COLOR_BGR2RGB)
            boxes = hog(rgb, 1)
            if len(boxes) == 1:
                found.append(np.array(resnet.compute_face_descriptor(rgb, shape(rgb, boxes[0]))))
        if len(found) >= max(1, views - 1):
            described[i] = np.array(found)

def distance(a, b):
    return float(np.mean(np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)))

within = [distance(d[:1], d[1:]) for d in described.values() if len(d) > 1]
kept = []
for i, d in described.items():
    if all(distance(d, described[k]) >= threshold for k in kept):
        kept.append(i)
pairs = [distance(described[a], described[b]) for a, b in itertools.combinations(described, 2)]
print(f"{len(described)} of {len(ids)} candidates found in their views; same geometry "
      f"across looks: mean distance {np.mean(within):.3f}; any two candidates: mean "
      f"{np.mean(pairs):.3f}, at or above 0.6 in {100 * np.mean(np.array(pairs) >= 0.6):.1f}%")
print(f"kept {len(kept)} geometries at least {threshold} apart")
