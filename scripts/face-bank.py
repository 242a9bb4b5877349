#!/usr/bin/env python3
"""Chooses the bank of face identities facesim draws people from (issue 20), run by hand.

Draws CANDIDATES geometry ids (`Geometry::of(id)` in simulator/src/synth/face/look.rs), each
in VIEWS snapshots with other colours, hair, accessories and shots (the `face-sheet` example
of facesim-benches), and keeps an id only if OpenCV's Haar frontal cascade and dlib's HOG
detector each find exactly one face in every view: the proportions are wide, and some of
their corners are faces no detector believes. Of those, it keeps the share KEEP whose dlib
ResNet descriptors lie farthest from the survivors' mean (the least generic faces, which
lie farther from each other too), and writes their ids, one a line, to OUT (by default
fixtures/identities/face-geometries.txt, which the simulator embeds). The simulator itself
stays model-free: a person's identity is an entry of that list chosen by a hash.

Run it with the face-realism virtualenv (scripts/face-realism.sh installs it):
  target/face-realism-venv/bin/python scripts/face-bank.py [CANDIDATES] [VIEWS] [KEEP] [OUT]
Defaults: 600 candidates, 3 views, keep 0.6. Deterministic for the same arguments.
"""
import os, subprocess, sys, tempfile

import cv2, dlib, numpy as np, face_recognition_models as models

candidates = int(sys.argv[1]) if len(sys.argv) > 1 else 600
views = int(sys.argv[2]) if len(sys.argv) > 2 else 3
keep = float(sys.argv[3]) if len(sys.argv) > 3 else 0.6
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out_file = sys.argv[4] if len(sys.argv) > 4 else os.path.join(
    root, "fixtures", "identities", "face-geometries.txt")

subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "facesim-benches",
                "--example", "face-sheet"], cwd=root, check=True)
sheet = os.path.join(root, "target", "release", "examples", "face-sheet")
# Candidate ids are spread over the u64 range by a fixed multiplier (another offset than
# scripts/face-geometry.py's, so that the bank is not judged on the ids it was chosen from).
ids = [(i * 0x9E3779B97F4A7C15 + 0xB5AD4ECEDA1CE2A9) % (1 << 64) for i in range(1, candidates + 1)]

hog = dlib.get_frontal_face_detector()
shape = dlib.shape_predictor(models.pose_predictor_model_location())
resnet = dlib.face_recognition_model_v1(models.face_recognition_model_location())
haar = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")

described = {}
with tempfile.TemporaryDirectory() as out:
    for chunk in range(0, len(ids), 50):
        subprocess.run([sheet, out, str(views)] + [str(i) for i in ids[chunk:chunk + 50]],
                       check=True)
    for i in ids:
        found = []
        for v in range(views):
            bgr = cv2.imread(f"{out}/{i}-{v}.jpg")
            gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
            if len(haar.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5)) != 1:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            boxes = hog(rgb, 1)
            if len(boxes) != 1:
                break
            found.append(np.array(resnet.compute_face_descriptor(rgb, shape(rgb, boxes[0]))))
        if len(found) == views:
            described[i] = np.mean(found, axis=0)

centre = np.mean(list(described.values()), axis=0)
far = sorted(described, key=lambda i: -np.linalg.norm(described[i] - centre))
chosen = set(far[:max(1, int(len(far) * keep))])
bank = [i for i in ids if i in chosen]
os.makedirs(os.path.dirname(out_file), exist_ok=True)
with open(out_file, "w") as f:
    f.write(f"# Face geometry ids (Geometry::of), chosen by scripts/face-bank.py {candidates} "
            f"{views} {keep}:\n# found by Haar and HOG in every view, the least generic "
            f"{keep:.0%} to dlib's ResNet.\n")
    for i in bank:
        f.write(f"{i}\n")
print(f"{len(described)} of {candidates} candidates found in all {views} views; kept {len(bank)}")
