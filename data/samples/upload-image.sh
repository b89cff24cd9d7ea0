#!/usr/bin/env bash
# Upload one document image of a sign-up the way a channel does, with curl:
#   data/samples/upload-image.sh <checkpoint_id> <front|back|selfie> <file.jpg>   (needs $CHANNEL_TOKEN)
# 1. ask the API for a presigned S3 PUT for that side, content type and exact size;
# 2. PUT the file to the URL with every header the answer lists (they are all signed).
set -euo pipefail
api=${API:-http://127.0.0.1:${PORT:-8000}}
size=$(wc -c < "$3" | tr -d ' ')
answer=$(curl -sf -X POST "$api/v1/checkpoints/$1/documents" -H "Authorization: Bearer $CHANNEL_TOKEN" \
              -H 'Content-Type: application/json' -d "{\"side\": \"$2\", \"content_type\": \"image/jpeg\", \"size\": $size}")
url=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["upload"]["url"])' "$answer")
headers=()
while IFS= read -r header; do headers+=(-H "$header"); done < <(
  python3 -c 'import json, sys; [print(f"{k}: {v}") for k, v in json.loads(sys.argv[1])["upload"]["headers"].items()]' "$answer")
curl -sf -X PUT "$url" "${headers[@]}" --data-binary "@$3"
echo "uploaded $2 ($size bytes)"
