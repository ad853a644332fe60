# Build the release binary, then run it from a slim image.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/stackmail

FROM debian:bookworm-slim
RUN useradd --system --home-dir /var/lib/stackmail --create-home stackmail
COPY --from=build /src/target/release/stackmail /usr/local/bin/stackmail
COPY filters /var/lib/stackmail/filters
WORKDIR /var/lib/stackmail
USER stackmail
EXPOSE 2525
ENTRYPOINT ["stackmail"]
CMD ["serve"]
