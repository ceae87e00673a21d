# The API as a small image: a static binary (deploy/build-static.sh, the same build .ci/run
# checks) on distroless/static, which has CA certificates and time zones and nothing else, run
# as the non-root user 65532. Settings come from the environment (README "Settings").
ARG GO_VERSION=1.26.8
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN sh deploy/build-static.sh /out/licensing-api

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/licensing-api /usr/local/bin/licensing-api
USER 65532:65532
ENV LISTEN_ADDR=:8080
EXPOSE 8080
# Probes: GET /healthz (the process answers), GET /readyz (it can serve; 503 while draining).
ENTRYPOINT ["/usr/local/bin/licensing-api"]
CMD ["serve"]
