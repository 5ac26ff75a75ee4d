# Kooperacje daemon image.
#   docker build -t kooperacje:local .
#   docker run --rm -e DATABASE_OWNER_URL=postgresql://owner:pass@db/koop -e KOOP_SERVE_PASSWORD=... kooperacje:local kooperd migrate
#   docker run --rm -e DATABASE_URL=postgresql://koop_serve:pass@db/koop -p 8080:8080 kooperacje:local
# The daemon reads everything from the environment (kooperd --help); migrations are compiled in
# (`kooperd migrate` as the owner, or at start under an advisory lock when DATABASE_OWNER_URL is
# given); serve connects as the serving login koop_serve.

# ---- build: compiler, -dev packages and Node (for the Redoc bundle served at /docs) ----------------
FROM debian:12-slim AS build
WORKDIR /src
# The same package lists as a developer machine (scripts/deps.sh), Debian's Node 18.20 + npm here.
COPY scripts/deps.sh scripts/deps.sh
RUN bash scripts/deps.sh build \
 && bash scripts/deps.sh node \
 && rm -rf /var/lib/apt/lists/*
# npm packages first, so that code changes do not re-download them.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN make -j"$(nproc)" build/kooperd \
 && test -f node_modules/redoc/bundles/redoc.standalone.js \
 && test -f openapi.yaml && test -f docs/index.html

# ---- runtime: shared libraries only, non-root ------------------------------------------------------
FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmicrohttpd12 libjansson4 libpq5 libuuid1 libssl3 libcurl4 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin koop

COPY --from=build /src/build/kooperd /usr/local/bin/kooperd
COPY --from=build /src/openapi.yaml /usr/share/kooperacje/openapi.yaml
COPY --from=build /src/docs/ /usr/share/kooperacje/docs/
COPY --from=build /src/node_modules/redoc/bundles/redoc.standalone.js /usr/share/kooperacje/docs/redoc.standalone.js

ENV KOOP_OPENAPI_PATH=/usr/share/kooperacje/openapi.yaml \
    KOOP_DOCS_DIR=/usr/share/kooperacje/docs \
    KOOP_REDOC_JS=/usr/share/kooperacje/docs/redoc.standalone.js \
    KOOP_LISTEN=0.0.0.0:8080

WORKDIR /usr/share/kooperacje
USER koop:koop
EXPOSE 8080
# kooperd finishes in-flight requests on SIGTERM (KOOP_DRAIN_TIMEOUT, default 10 s).
STOPSIGNAL SIGTERM
CMD ["kooperd", "serve", "--listen", "0.0.0.0:8080"]
