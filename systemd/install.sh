#!/usr/bin/env bash
# Installs sharebridge as a systemd service on a Raspberry Pi (or any Debian-like system with
# systemd and Node.js >= 20.18). Run from a checkout of the repository, as root:
#   sudo bash systemd/install.sh
# Safe to run again (an upgrade): the configuration and the password are kept.
set -euo pipefail

PREFIX=/opt/sharebridge
CONFIG_DIR=/etc/sharebridge
SOURCE=$(cd "$(dirname "$0")/.." && pwd)

if [ "$(id -u)" -ne 0 ]; then echo "run as root (sudo bash systemd/install.sh)" >&2; exit 1; fi
command -v node >/dev/null || { echo "Node.js is missing: sudo apt-get install nodejs npm" >&2; exit 1; }
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=18)?0:1)' ||
  { echo "Node.js >= 20.18 is needed, found $(node --version)" >&2; exit 1; }

echo "==> building in $PREFIX"
mkdir -p "$PREFIX"
# Copy the sources (not a previous build or local state), then build and drop the dev tools.
tar -C "$SOURCE" --exclude=./node_modules --exclude=./dist --exclude=./state --exclude=./.git -cf - . | tar -C "$PREFIX" -xf -
(cd "$PREFIX" && npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund)
chmod 0755 "$PREFIX/dist/main.js"
ln -sf "$PREFIX/dist/main.js" /usr/local/bin/sharebridge

echo "==> configuration in $CONFIG_DIR"
install -d -m 0755 "$CONFIG_DIR"
if [ ! -e "$CONFIG_DIR/config.json" ]; then
  install -m 0644 "$PREFIX/config/sharebridge.example.json" "$CONFIG_DIR/config.json"
  echo "    wrote $CONFIG_DIR/config.json: set share.region and share.username"
fi
if [ ! -e "$CONFIG_DIR/share-password" ]; then
  install -m 0600 /dev/null "$CONFIG_DIR/share-password"
  echo "    created an empty $CONFIG_DIR/share-password (mode 0600): put the Share password in it"
fi

echo "==> udev rule and service"
install -m 0644 "$PREFIX/systemd/99-dexcom-receiver.rules" /etc/udev/rules.d/99-dexcom-receiver.rules
udevadm control --reload && udevadm trigger --subsystem-match=tty || true
install -m 0644 "$PREFIX/systemd/sharebridge.service" /etc/systemd/system/sharebridge.service
systemctl daemon-reload

cat <<NEXT

Next:
  1. sudo nano $CONFIG_DIR/config.json          (share.region, share.username)
  2. sudo nano $CONFIG_DIR/share-password       (the password, one line)
  3. sudo sharebridge doctor --config $CONFIG_DIR/config.json --password-file $CONFIG_DIR/share-password
  4. sudo systemctl enable --now sharebridge
  5. journalctl -u sharebridge -f                (and: sharebridge status --config $CONFIG_DIR/config.json)
NEXT
