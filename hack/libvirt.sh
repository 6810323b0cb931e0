#!/usr/bin/env bash
# hack/libvirt.sh up|down — libvirt and QEMU for test/libvirt (make libvirt-test).
#
# up:   installs libvirt 9 and QEMU from Debian's apt if they are missing, and makes sure a
#       libvirtd answers on qemu:///system. One already running is used as it is. Otherwise
#       this starts one by hand, as root, with a qemu.conf that lets it start QEMU without
#       KVM, systemd or a qemu user of its own (a container or a CI machine), and notes that
#       it did, so `down` stops only what `up` started.
# down: destroys the test domains left behind by an interrupted run, and stops the libvirtd
#       `up` started, if it did.
#
# Needs root, or sudo, for apt, the configuration and the daemon.
set -euo pipefail
cd "$(dirname "$0")/.."

state="$PWD/.cache/libvirt"
pidfile="$state/libvirtd.pid"
uri=qemu:///system
packages=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 libxml2-utils)
qemu_conf=/etc/libvirt/qemu.conf
marker="# written by linkstate-webhook hack/libvirt.sh"

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo

log() { echo "libvirt: $*" >&2; }

answers() { $sudo virsh -q -c "$uri" version >/dev/null 2>&1; }

install_packages() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]} from apt"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

configure() {
  # The QEMU driver resolves its built-in default user when it starts, before it reads
  # qemu.conf; Debian creates that user in libvirt-daemon-system, which is not installed
  # here (it brings systemd units and a network setup the tests do not use).
  getent passwd libvirt-qemu >/dev/null ||
    $sudo useradd --system --no-create-home --home-dir /var/lib/libvirt --shell /usr/sbin/nologin libvirt-qemu
  $sudo mkdir -p /var/log/libvirt/qemu "$state"
  if [ -e "$qemu_conf" ] && ! grep -qF "$marker" "$qemu_conf"; then
    log "keeping the machine's own $qemu_conf"
    return
  fi
  # QEMU as root: no KVM, tap or file permissions to grant to another user. Its
  # stdout and stderr straight into /var/log/libvirt/qemu/<domain>.log, without virtlogd.
  $sudo tee "$qemu_conf" >/dev/null <<EOF
$marker
user = "root"
group = "root"
stdio_handler = "file"
EOF
}

up() {
  install_packages
  if answers; then
    log "using the libvirtd that answers on $uri"
    return
  fi
  configure
  log "starting libvirtd"
  $sudo libvirtd --daemon --pid-file "$pidfile"
  for _ in $(seq 100); do
    if answers; then
      log "libvirtd $($sudo virsh -q -c "$uri" version | awk '/Running hypervisor/ {print "with " $3 " " $4}') is up"
      return
    fi
    sleep 0.1
  done
  log "libvirtd did not answer on $uri within 10 s"
  exit 1
}

down() {
  if answers; then
    local dom
    for dom in $($sudo virsh -q -c "$uri" list --all --name | grep '^linkstate-test-' || true); do
      log "removing $dom, left by an interrupted run"
      $sudo virsh -q -c "$uri" destroy "$dom" >/dev/null 2>&1 || true
      $sudo virsh -q -c "$uri" undefine "$dom" >/dev/null 2>&1 || true
    done
  fi
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  log "stopping libvirtd ($pid)"
  $sudo kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    $sudo kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  $sudo rm -f "$pidfile"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
