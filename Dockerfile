# sharebridge container image: Debian-based Node.js LTS (serialport's prebuilt binaries need glibc),
# production dependencies only, non-root, state on a volume. Multi-architecture: the build stage runs
# on the build machine (the output is plain JavaScript, and serialport ships prebuilt binaries for
# linux/amd64, linux/arm64 and linux/arm/v7), so `docker buildx build --platform
# linux/arm64,linux/arm/v7,linux/amd64 .` needs no emulated compiler.
#
#   docker build -t sharebridge .
#   docker run -d --name sharebridge --device /dev/serial/by-id/usb-DexCom_Gen4_USB_Serial-if00:/dev/dexcom \
#     -v sharebridge-state:/var/lib/sharebridge -v ./config.json:/etc/sharebridge/config.json:ro \
#     --secret … (see README, "Docker")   sharebridge
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
ENV NODE_ENV=production \
    SHAREBRIDGE_STATE_DIR=/var/lib/sharebridge \
    SHAREBRIDGE_DEVICE=/dev/dexcom \
    SHAREBRIDGE_HTTP_LISTEN=127.0.0.1:9477
# A system user in dialout, the group that owns USB serial devices on Debian hosts (gid 20 on both
# sides, so a device mapped with --device keeps working without privileges).
RUN useradd --system --uid 10001 --user-group --groups dialout --home-dir /nonexistent \
      --shell /usr/sbin/nologin sharebridge \
 && install -d -o sharebridge -g sharebridge -m 0700 /var/lib/sharebridge \
 && install -d -m 0755 /etc/sharebridge
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY config/sharebridge.example.json /etc/sharebridge/config.example.json
USER sharebridge
VOLUME ["/var/lib/sharebridge"]
EXPOSE 9477
# Healthy when the last sync cycle succeeded within two reading intervals (the /healthz endpoint).
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9477/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["run"]
