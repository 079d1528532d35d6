# Multi-stage: build a static binary, ship it alone on a minimal base as a
# non-root user. Migrations, the OpenAPI document and the thesaurus are
# embedded in the binary.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/techmarket ./cmd/techmarket

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/techmarket /usr/local/bin/techmarket
USER nonroot:nonroot
WORKDIR /var/lib/techmarket
ENV TECHMARKET_ADDR=:8080 TECHMARKET_DATA_DIR=/var/lib/techmarket
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/techmarket"]
CMD ["serve"]
