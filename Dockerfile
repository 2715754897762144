# sharebridge container image: Debian-based Node.js LTS (serialport's prebuilt binaries need glibc),
# production dependencies only, non-root, state on a volume. Multi-architecture: the build stage runs
# on the build machine (the output is plain JavaScript, and serialport ships prebuilt binaries for
# linux/amd64, linux/arm64 and linux/arm/v7), so `docker buildx build --platform
# linux/arm64,linux/arm/v7,linux/amd64 .` needs no emulated compiler.
#
#   docker build -t sharebridge .          (Podman: podman build --format docker …, or the OCI format
#                                           drops the HEALTHCHECK)
#   docker run -d --name sharebridge --device /dev/serial/by-id/usb-DexCom_Gen4_USB_Serial-if00:/dev/dexcom \
#     --group-add dialout -v sharebridge-state:/var/lib/sharebridge \
#     -v ./config.json:/etc/sharebridge/config.json:ro -v ./share-password:/run/secrets/share-password:ro sharebridge
#   (the password file readable by uid 10001: see the README, "In Docker")
ARG NODE_IMAGE=node:24-bookworm-slim

FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: nothing is compiled; serialport loads its prebuilt binary at run time.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
# The environment is the user's: nothing here sets a SHAREBRIDGE_* variable, which would override the
# mounted configuration file. The image's defaults are a file below it (defaults.json, next).
ENV NODE_ENV=production
# A system user and group, both 10001 (what a compose secret's uid/gid and the README's chown name),
# in dialout, the group that owns USB serial devices on Debian hosts (gid 20 on both sides, so a
# device mapped with --device keeps working without privileges).
RUN groupadd --system --gid 10001 sharebridge \
 && useradd --system --uid 10001 --gid 10001 --groups dialout --home-dir /nonexistent \
      --shell /usr/sbin/nologin sharebridge \
 && install -d -o sharebridge -g sharebridge -m 0700 /var/lib/sharebridge \
 && install -d -m 0755 /etc/sharebridge /usr/share/sharebridge
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# Defaults for a container: the receiver mapped to /dev/dexcom, state on the volume, the health
# endpoint on loopback (for the HEALTHCHECK). The mounted config.json overrides any of them.
COPY config/docker-defaults.json /usr/share/sharebridge/defaults.json
COPY config/sharebridge.example.json /etc/sharebridge/config.example.json
USER sharebridge
VOLUME ["/var/lib/sharebridge"]
EXPOSE 9477
# Healthy when the last sync cycle succeeded within two reading intervals: `sharebridge health` asks
# the daemon's /healthz wherever the configuration's http.listen puts it.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
  CMD ["node", "/app/dist/main.js", "health"]
# The V8 flags of systemd/sharebridge.service (which says what each one saves): the daemon about 61 MiB
# resident instead of about 81.
ENTRYPOINT ["node", "--max-semi-space-size=2", "--optimize-for-size", "--single-threaded", "--no-opt", "--no-sparkplug", "--liftoff-only", "/app/dist/main.js"]
CMD ["run"]
