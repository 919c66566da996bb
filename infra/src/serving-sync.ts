// The model-sync sidecar's shell script. TF Serving (>= 2.7) cannot read s3://, so this copies
// `s3://<models>/<model>/<version>/` into the volume TF Serving watches. A version is copied only once
// its saved_model.pb exists (Publish writes it last), into a temporary folder on the same volume,
// then renamed into place, so TF Serving never sees a partial version. It also writes the model
// config file (one model per campaign) atomically. Runs in the official AWS CLI image, bash only.
// $1 = bucket name, $2 = seconds between passes.
export const SYNC_SCRIPT = `set -u
bucket="$1"; every="$2"; root=/models; staging="$root/.staging"
mkdir -p "$staging"
prefixes() {
  aws s3api list-objects-v2 --bucket "$bucket" --prefix "$1" --delimiter / \\
    --query 'CommonPrefixes[].Prefix' --output text | tr '\\t' '\\n' | grep -v '^None$'
}
write_config() {
  tmp="$staging/models.config.$$"
  echo 'model_config_list {' > "$tmp"
  for dir in "$root"/*/; do
    name="$(basename "$dir")"
    ls "$dir" | grep -qE '^[0-9]+$' || continue
    printf '  config { name: "%s" base_path: "%s" model_platform: "tensorflow" }\\n' "$name" "$root/$name" >> "$tmp"
  done
  echo '}' >> "$tmp"
  mv -f "$tmp" "$root/models.config"
}
[ -f "$root/models.config" ] || write_config
while true; do
  for model_prefix in $(prefixes ""); do
    model="\${model_prefix%/}"
    for version_prefix in $(prefixes "$model_prefix"); do
      version="\${version_prefix#"$model_prefix"}"; version="\${version%/}"
      case "$version" in ''|*[!0-9]*) continue ;; esac
      [ -d "$root/$model/$version" ] && continue
      aws s3api head-object --bucket "$bucket" --key "$model/$version/saved_model.pb" > /dev/null 2>&1 || continue
      part="$staging/$model-$version"
      rm -rf "$part"
      if aws s3 cp --recursive --only-show-errors "s3://$bucket/$model/$version/" "$part" && [ -f "$part/saved_model.pb" ]; then
        mkdir -p "$root/$model" && mv "$part" "$root/$model/$version" && echo "synced $model/$version"
      else
        rm -rf "$part"; echo "sync of $model/$version failed; retrying next pass" >&2
      fi
    done
    # Keep the three newest versions on disk; TF Serving serves the newest.
    ls "$root/$model" 2>/dev/null | grep -E '^[0-9]+$' | sort -n | head -n -3 | while read -r old; do rm -rf "\${root:?}/$model/$old"; done
  done
  write_config
  sleep "$every"
done
`;

/**
 * Container health check of TF Serving: its REST status route must answer over HTTP. The image has no
 * curl, so bash's /dev/tcp sends the request. A 200 (model loaded) or 404 (no model published yet) both
 * prove the server is up; no answer is unhealthy.
 */
export function restStatusCheck(port: number, model: string): string {
  return `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET /v1/models/${model} HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -qE 'HTTP/1\\.[01] (200|404)'`;
}
