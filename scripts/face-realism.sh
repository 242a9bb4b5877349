#!/usr/bin/env bash
# How real facesim's snapshots look to face models nobody here trained (issue 20).
#
# Draws a seeded population through `facesim push` to a capturing receiver (a few lines of
# Python that keep every event), then prints, for dlib's HOG frontal detector and OpenCV's
# Haar frontal cascade, how often exactly one face is found (unmasked and masked apart),
# and, with dlib's ResNet descriptor on the HOG finds, the share of same-person pairs under
# 0.6 and of different-person pairs at or above 0.6 (0.6 is dlib's same-person threshold).
# Known people are named by the device and their user id; every stranger and unknown face
# is a person of their own; spoofs (status 1) are left out of the pairs.
#
# The second, independent recogniser is @vladmandic/face-api (its SSD MobileNet detector,
# 68-point landmarks and 128-d recognition net, weights shipped in the npm package) on the
# WebAssembly backend of TensorFlow.js: the same figures again, with its own detector
# finding the faces and its own descriptor (0.6 is its same-person threshold too).
#
# The packages install themselves (models ship inside them; no download at run time):
# Python into a virtualenv (dlib-bin, face-recognition-models, opencv-python-headless<5),
# npm into a folder (@vladmandic/face-api, @tensorflow/tfjs, @tensorflow/tfjs-backend-wasm,
# jpeg-js; node 18 or later).
#
# Usage: scripts/face-realism.sh [COUNT] [PEOPLE] [SEED] [DEVICES]
#   COUNT    events in all (default 240)
#   PEOPLE   people in each device's library (default 50)
#   SEED     the generator's seed (default 1)
#   DEVICES  simulated devices, each with its own people (default 1)
# Environment: FACE_REALISM_VENV (default target/face-realism-venv), FACESIM (a built
# binary; default: build target/release/facesim), FACE_REALISM_DUMP (a folder: every
# unmasked snapshot a detector misses is written there as JPEG, named by its line, the
# detector that missed it and how many faces it found; the first few found ones too),
# FACE_REALISM_NODE (default target/face-realism-node: face-api's npm folder),
# FACE_REALISM_FACE_API (0 skips face-api, which takes about a second an image).
set -euo pipefail

count=${1:-240}
people=${2:-50}
seed=${3:-1}
devices=${4:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${FACE_REALISM_VENV:-$root/target/face-realism-venv}
work=$(mktemp -d)
trap 'kill "${receiver_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
fi
# setuptools below 81 still ships pkg_resources, which face-recognition-models imports.
"$venv/bin/pip" install --quiet "dlib-bin" "face-recognition-models" \
    "opencv-python-headless<5" "setuptools<81" "numpy"

node_dir=${FACE_REALISM_NODE:-$root/target/face-realism-node}
face_api=${FACE_REALISM_FACE_API:-1}
if [[ $face_api != 0 && ! -d $node_dir/node_modules/@vladmandic/face-api ]]; then
    mkdir -p "$node_dir"
    [[ -f $node_dir/package.json ]] || echo '{"private": true}' >"$node_dir/package.json"
    (cd "$node_dir" && npm install --silent --no-audit --no-fund @vladmandic/face-api@1.7.15 \
        @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 jpeg-js@0.4.4)
fi

facesim=${FACESIM:-}
if [[ -z $facesim ]]; then
    (cd "$root" && cargo build --quiet --release -p facesim --bin facesim)
    facesim=$root/target/release/facesim
fi

# The capturing receiver: keeps each event's body, answers the door decision of API 1.0.
cat >"$work/receiver.py" <<'EOF'
import http.server, json, sys, threading
out, port_file = sys.argv[1], sys.argv[2]
lock = threading.Lock()
class Capture(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock, open(out, "ab") as f:
            f.write(body.replace(b"\n", b"") + b"\n")
        answer = b'{"code":200,"msg":"ok","data":{"pass":false}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Capture)
with open(port_file, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
EOF
"$venv/bin/python" "$work/receiver.py" "$work/events.jsonl" "$work/port" &
receiver_pid=$!
for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.1; done
port=$(cat "$work/port")

"$facesim" push --to "http://127.0.0.1:$port/eventRcv" --count "$count" --devices "$devices" \
    --people "$people" --seed "$seed" --quiet >"$work/push.txt" || true
kill "$receiver_pid" && wait "$receiver_pid" 2>/dev/null || true
echo "facesim push: $(tail -1 "$work/push.txt")"

cat >"$work/measure.py" <<'EOF'
import base64, json, os, sys
import cv2, dlib, numpy as np, face_recognition_models as models
from figures import print_found, print_pairs

hog = dlib.get_frontal_face_detector()
shape = dlib.shape_predictor(models.pose_predictor_model_location())
resnet = dlib.face_recognition_model_v1(models.face_recognition_model_location())
haar = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")

found = {"hog": {True: [0, 0], False: [0, 0]}, "haar": {True: [0, 0], False: [0, 0]}}
faces = []  # (person, descriptor)
dump = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
# For the second recogniser: every snapshot as a JPEG, and who and what it shows.
shots = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
manifest = []
if dump:
    os.makedirs(dump, exist_ok=True)
for index, line in enumerate(open(sys.argv[1], "rb")):
    event = json.loads(line)
    data = event.get("data", event)
    image = data.get("rgb_image")
    if not image:
        continue
    masked = data.get("mask") == 2  # 2: worn (0: detection off, 1: not worn)
    status = data.get("recognizeStatus")
    pixels = cv2.imdecode(np.frombuffer(base64.b64decode(image), np.uint8), cv2.IMREAD_COLOR)
    rgb = cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)
    boxes = hog(rgb, 1)
    gray = cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
    cascade = haar.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5)
    for name, n in (("hog", len(boxes)), ("haar", len(cascade))):
        found[name][masked][0] += n == 1
        found[name][masked][1] += 1
        if dump and not masked and (n != 1 or index < 6):
            with open(f"{dump}/{index:05}-{name}-{n}.jpg", "wb") as f:
                f.write(base64.b64decode(image))
    user = data.get("user") or {}
    who = user.get("user_id", user.get("id"))
    # A face the library does not know is a person of their own, named by its line.
    person = (data.get("deviceSN"), who) if who is not None else ("line", index)
    if shots:
        with open(f"{shots}/{index:05}.jpg", "wb") as f:
            f.write(base64.b64decode(image))
        manifest.append({"file": f"{shots}/{index:05}.jpg", "masked": masked,
                         "spoof": status == 1, "person": list(person)})
    if masked or status == 1 or len(boxes) != 1:
        continue
    descriptor = np.array(resnet.compute_face_descriptor(rgb, shape(rgb, boxes[0])))
    faces.append((person, descriptor))

if shots:
    with open(f"{shots}/manifest.json", "w") as f:
        json.dump(manifest, f)
print_found(found, (("hog", "dlib HOG"), ("haar", "OpenCV Haar")))
print_pairs("dlib ResNet", faces)
EOF
# The figures, shared by both recognisers.
cat >"$work/figures.py" <<'EOF'
import itertools
import numpy as np

def share(hit, total):
    return f"{100.0 * hit / total:.1f}% ({hit}/{total})" if total else "n/a (0)"

def print_found(found, names):
    for name, label in names:
        print(f"{label}: one face in {share(*found[name][False])} of unmasked snapshots, "
              f"{share(*found[name][True])} of masked ones")

def print_pairs(label, faces):
    same = [0, 0]
    different = [0, 0]
    for (p, a), (q, b) in itertools.combinations(faces, 2):
        d = float(np.linalg.norm(a - b))
        if p == q:
            same[0] += d < 0.6
            same[1] += 1
        else:
            different[0] += d >= 0.6
            different[1] += 1
    people = len({p for p, _ in faces})
    print(f"{label} over {len(faces)} unmasked live faces of {people} people: "
          f"same person under 0.6 in {share(*same)} of pairs, "
          f"different people at or above 0.6 in {share(*different)} of pairs")
EOF

cat >"$work/face_api.py" <<'EOF'
import json, sys
import numpy as np
from figures import print_found, print_pairs
found = {"ssd": {True: [0, 0], False: [0, 0]}}
faces = []
for line in open(sys.argv[1]):
    shot = json.loads(line)
    found["ssd"][shot["masked"]][0] += shot["faces"] == 1
    found["ssd"][shot["masked"]][1] += 1
    if not shot["masked"] and not shot["spoof"] and shot["faces"] == 1:
        faces.append((tuple(shot["person"]), np.array(shot["descriptor"])))
print_found(found, (("ssd", "face-api SSD MobileNet"),))
print_pairs("face-api recognition net", faces)
EOF

shots=
if [[ $face_api != 0 ]]; then
    shots=$work/shots
    mkdir -p "$shots"
fi
"$venv/bin/python" "$work/measure.py" "$work/events.jsonl" "${FACE_REALISM_DUMP:-}" "$shots"
if [[ $face_api != 0 ]]; then
    node "$root/scripts/face-api-describe.js" "$node_dir" "$shots/manifest.json" >"$work/face-api.jsonl"
    "$venv/bin/python" "$work/face_api.py" "$work/face-api.jsonl"
fi
