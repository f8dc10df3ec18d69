#!/usr/bin/env bash
# Build the lab images offline: debootstrap a Debian bookworm root file system once, derive the
# engine and host trees from it, and `podman import` them. Nothing is pulled from a registry.
#
# Each image is tagged with a hash of its recipe (this script, the unit files, the SDK pin), so an
# unchanged recipe is reused in seconds and a changed one is rebuilt. `:latest` always points at
# the image of the current recipe; that is the tag the inventories use.
#
# The lab code itself (tests/lab/ovirt_lab) is not baked in: containers mount it read-only at
# /opt/ovirt-lab, so editing the lab never forces a rebuild.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=${LAB_CACHE:-$repo/.lab/cache}
python=${PYTHON:-$repo/.venv/bin/python}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
sdk_pin="ovirt-engine-sdk-python==4.6.3"
# libxml2 and openssl serve the lab engine (SDK XML parser, TLS certificates); they are small enough
# to share one base tree instead of debootstrapping twice.
base_packages="python3,systemd,systemd-sysv,dbus,passwd,ca-certificates,procps,iproute2,libxml2,openssl"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/tests/lab/containers.conf}

recipe_hash() {
    # The recipe of one image: this script, its unit files, and the base package list.
    cat "$0" "$here/engine-config" "$here"/units/"$1"/* | sha256sum | cut -c1-12
}

build_base_rootfs() {
    local tarball="$cache/bookworm-base-$(echo "$base_packages" | sha256sum | cut -c1-12).tar"
    if [ ! -s "$tarball" ]; then
        local dir="$cache/rootfs.$$"
        echo "lab images: debootstrap bookworm (first build only, about a minute)" >&2
        mkdir -p "$cache"
        debootstrap --variant=minbase --include="$base_packages" bookworm "$dir" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
            { tail -20 "$cache/debootstrap.log"; exit 1; }
        # Containers verify TLS for package mirrors through the host's CA bundle.
        cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
        rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
        tar -C "$dir" -cf "$tarball.tmp" .
        mv "$tarball.tmp" "$tarball"
        rm -rf "$dir"
    fi
    echo "$tarball"
}

prepare_engine_tree() {
    local dir=$1
    # The engine process and the scheduler proxy run as ovirt:ovirt (uid/gid 108), as the RPMs set up.
    chroot "$dir" groupadd -r -g 108 ovirt
    chroot "$dir" useradd -r -u 108 -g ovirt -d /var/lib/ovirt-engine -s /sbin/nologin ovirt
    install -d -m 0755 "$dir/usr/share/ovirt-engine/ui-plugins" "$dir/etc/ovirt-engine" \
        "$dir/etc/pki/ovirt-engine" "$dir/var/lib/ovirt-engine"
    # The lab engine builds its XML with the SDK's own types; the SDK is a compiled sdist, so
    # install it from the controller's pip (same Python minor version as bookworm's python3).
    "$python" -m pip install -q --no-deps --target "$dir/opt/ovirt-lab-deps" "$sdk_pin" pycurl
    install -m 0755 "$here/engine-config" "$dir/usr/bin/engine-config"
}

prepare_host_tree() {
    local dir=$1
    # VDSM runs as vdsm:kvm (uid/gid 36) and runs hooks as vdsm.
    chroot "$dir" groupadd -r -g 36 kvm
    chroot "$dir" useradd -r -u 36 -g kvm -d /var/lib/vdsm -s /sbin/nologin vdsm
}

build_image() {
    local role=$1 name="localhost/ovirt-ext-lab-$1" tag
    tag=$(recipe_hash "$role")
    if podman image exists "$name:$tag"; then
        echo "lab images: $name:$tag is current"
    else
        local base dir
        base=$(build_base_rootfs)
        dir="$cache/$role.$$"
        mkdir -p "$dir"
        tar -C "$dir" -xf "$base"
        cp "$here/units/$role"/*.service "$dir/etc/systemd/system/"
        "prepare_${role}_tree" "$dir"
        for unit in "$here/units/$role"/*.service; do
            ln -sf "/etc/systemd/system/$(basename "$unit")" "$dir/etc/systemd/system/multi-user.target.wants/"
        done
        tar -C "$dir" -c . | podman import --change 'CMD ["/sbin/init"]' - "$name:$tag" >/dev/null
        rm -rf "$dir"
        echo "lab images: built $name:$tag"
    fi
    podman tag "$name:$tag" "$name:latest"
}

build_image engine
build_image host
