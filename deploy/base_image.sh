#!/usr/bin/env bash
# A Debian-rooted Python base for the image where no container registry is reachable: Debian 12's
# own Python (debootstrap from Debian's packages) with a virtual environment at /usr/local, so that
# `python` and `pip` are where the official python:3.11-slim image has them.
#
#   deploy/base_image.sh [TAG]      # default localhost/reservoir-base:bookworm
#
# The root file system is kept as a tarball in CACHE_DIR, so a second run only imports it.
set -euo pipefail
TAG=${1:-localhost/reservoir-base:bookworm}
CACHE_DIR=${CACHE_DIR:-/var/cache/reservoir-ci}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
TARBALL="$CACHE_DIR/bookworm-python-rootfs-v2.tar"

if podman image exists "$TAG"; then
  echo "base image $TAG is there"
  exit 0
fi
mkdir -p "$CACHE_DIR"
if [ ! -s "$TARBALL" ]; then
  root=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root" "$MIRROR"
  # The build host's own certificate authorities (a site's proxy, say), so that the build reaches
  # PyPI and the npm registry as the host does.
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null
  fi
  chroot "$root" /usr/bin/python3 -m venv /usr/local
  chroot "$root" /usr/local/bin/python -m pip --version
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" --numeric-owner -cf "$TARBALL.part" .
  mv "$TARBALL.part" "$TARBALL"
fi
podman import --change 'CMD ["python3"]' --change 'ENV LANG=C.UTF-8' "$TARBALL" "$TAG" >/dev/null
echo "base image $TAG imported from $TARBALL"
