#!/usr/bin/env bash
# Installs sharebridge as a systemd service on a Raspberry Pi (or any Debian-like system with
# systemd and Node.js >= 20.18.1 on PATH). Run from a checkout of the repository, as root:
#   sudo bash systemd/install.sh
# Safe to run again (an upgrade): the configuration and the password are kept, and a running
# service is restarted on the new build.
set -euo pipefail

PREFIX=/opt/sharebridge
CONFIG_DIR=/etc/sharebridge
UNIT=/etc/systemd/system/sharebridge.service
TEMPLATE=/etc/systemd/system/sharebridge@.service
SOURCE=$(cd "$(dirname "$0")/.." && pwd)
NODE_HELP="Debian 12 (bookworm) ships Node.js 18, which is too old: install Node.js 20 or newer from
NodeSource (https://github.com/nodesource/distributions) or the official builds (https://nodejs.org),
system-wide. Official builds need an ARMv7 or ARM64 CPU: a Raspberry Pi 2 or later, or a Pi Zero 2 W."

if [ "$(id -u)" -ne 0 ]; then echo "run as root (sudo bash systemd/install.sh)" >&2; exit 1; fi
NODE=$(command -v node) || { printf 'Node.js is missing.\n%s\n' "$NODE_HELP" >&2; exit 1; }
"$NODE" -e 'const [a,b,c]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&(b>18||(b===18&&c>=1)))?0:1)' ||
  { printf 'Node.js >= 20.18.1 is needed, found %s (%s).\n%s\n' "$("$NODE" --version)" "$NODE" "$NODE_HELP" >&2; exit 1; }
# The unit runs with ProtectHome= and PrivateTmp=: a node under a home directory (nvm) or /tmp is out
# of its reach and would fail with 203/EXEC.
case "$(readlink -f "$NODE")" in
  /home/* | /root/* | /run/user/* | /tmp/* | /var/tmp/*)
    printf '%s resolves to %s, which the service cannot reach (ProtectHome=, PrivateTmp=).\n%s\n' \
      "$NODE" "$(readlink -f "$NODE")" "$NODE_HELP" >&2
    exit 1 ;;
esac

echo "==> building in $PREFIX (node $("$NODE" --version), $NODE)"
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

# Older versions run with sudo could leave state files owned by root in the service's directory,
# which the service (DynamicUser=) can then not read: give them back to the directory's owner.
for dir in /var/lib/private/sharebridge /var/lib/sharebridge; do
  if [ -d "$dir" ] && [ ! -L "$dir" ]; then
    find "$dir" -mindepth 1 -maxdepth 1 ! -uid "$(stat -c %u "$dir")" -exec chown -h --reference="$dir" {} +
  fi
done

echo "==> udev rule and service"
install -m 0644 "$PREFIX/systemd/99-dexcom-receiver.rules" /etc/udev/rules.d/99-dexcom-receiver.rules
udevadm control --reload && udevadm trigger --subsystem-match=tty || true
# The unit names the node found above, wherever it is (/usr/bin, /usr/local/bin, /opt/...).
sed "s|^ExecStart=/usr/bin/node |ExecStart=$NODE |" "$PREFIX/systemd/sharebridge.service" >"$UNIT.tmp"
chmod 0644 "$UNIT.tmp" && mv "$UNIT.tmp" "$UNIT"
grep -q "^ExecStart=$NODE " "$UNIT" || { echo "could not set ExecStart in $UNIT" >&2; exit 1; }
# The template for several receivers on one host: sharebridge@NAME, one per /etc/sharebridge/NAME.json.
sed "s|^ExecStart=/usr/bin/node |ExecStart=$NODE |" "$PREFIX/systemd/sharebridge@.service" >"$TEMPLATE.tmp"
chmod 0644 "$TEMPLATE.tmp" && mv "$TEMPLATE.tmp" "$TEMPLATE"
grep -q "^ExecStart=$NODE " "$TEMPLATE" || { echo "could not set ExecStart in $TEMPLATE" >&2; exit 1; }
systemctl daemon-reload
if systemctl is-active --quiet sharebridge; then
  systemctl restart sharebridge
  echo "    the service was running: restarted it on the new build (PID $(systemctl show -p MainPID --value sharebridge))"
fi
for instance in $(systemctl list-units 'sharebridge@*.service' --state=active --plain --no-legend | awk '{print $1}'); do
  systemctl restart "$instance"
  echo "    $instance was running: restarted it on the new build"
done

cat <<NEXT

Next:
  1. sudo nano $CONFIG_DIR/config.json          (share.region, share.username)
  2. sudo nano $CONFIG_DIR/share-password       (the password, one line)
  3. sudo sharebridge doctor --config $CONFIG_DIR/config.json --password-file $CONFIG_DIR/share-password
  4. sudo systemctl enable --now sharebridge
  5. journalctl -u sharebridge -f                (and: sudo sharebridge status --config $CONFIG_DIR/config.json)

Several receivers on this host, one instance each (README.md, "Several receivers"); for each NAME:
  a. sudo sharebridge receiver list                 (every receiver's serial; stop the services first)
  b. $CONFIG_DIR/NAME.json: device auto, receiver.serial, share.region, share.username
  c. $CONFIG_DIR/NAME.share-password: its password, one line, mode 0600
  d. sudo systemctl enable --now sharebridge@NAME
NEXT
