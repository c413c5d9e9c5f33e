# Sourced by ./run and ./test: put uv (pinned) on PATH, installing it into .run/bootstrap on a
# fresh machine that has only Python 3.11 and pip.
UV_VERSION="0.13.9"
BOOTSTRAP=".run/bootstrap"

if ! command -v uv >/dev/null 2>&1; then
    if [[ -x "$BOOTSTRAP/bin/uv" ]]; then
        export PATH="$PWD/$BOOTSTRAP/bin:$PATH"
    else
        echo "uv not found: installing uv $UV_VERSION" >&2
        mkdir -p .run
        if python3 -m venv "$BOOTSTRAP" >/dev/null 2>&1; then
            "$BOOTSTRAP/bin/python" -m pip install --quiet --disable-pip-version-check \
                "uv==$UV_VERSION"
            export PATH="$PWD/$BOOTSTRAP/bin:$PATH"
        else
            # No venv module (Debian without python3-venv): a user install instead.
            rm -rf "$BOOTSTRAP"
            python3 -m pip install --quiet --user "uv==$UV_VERSION" \
                || python3 -m pip install --quiet --user --break-system-packages "uv==$UV_VERSION"
            PATH="$(python3 -m site --user-base)/bin:$PATH"
            export PATH
        fi
    fi
fi

ensure_issuer_modules() {
    if [[ -z "${OIDC_ISSUER:-}" && ! -f deploy/dev-issuer/node_modules/oidc-provider/package.json ]]; then
        (cd deploy/dev-issuer && npm ci --no-audit --no-fund --loglevel=error)
    fi
}
