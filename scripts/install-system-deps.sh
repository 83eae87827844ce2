#!/usr/bin/env bash
# Installs the Debian packages the test suite uses (a real registry, skopeo, buildah + QEMU,
# dockerd and podman as oracles, apache2-utils' htpasswd for registries with Basic auth, chromium
# to open the HTML reports, fish and zsh to complete command lines with the scripts of
# `archcheck autocomplete`) when they are missing. Needs root; otherwise prints the command to run.
set -euo pipefail
packages=(docker-registry skopeo buildah qemu-user-static binfmt-support busybox-static zstd docker.io podman apache2-utils chromium fish zsh)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
