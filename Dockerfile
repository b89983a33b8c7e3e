# The shoprec API and indexer image. Redis is not in it: point REDIS_URL at a Redis with the
# query engine (compose.yaml does). Build: docker build -t shoprec .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# 0. LightGBM (the re-ranker) links OpenMP's runtime, which the slim image lacks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

# 1. Dependencies only, read from pyproject.toml, so this layer is rebuilt when the dependency
#    list changes, not on every source edit. The `embedded` extra (the local Redis wheels of
#    `make run`) is left out: the container talks to the Redis in REDIS_URL.
WORKDIR /src
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('requirements.txt', 'w').write('\n'.join(deps))" \
    && pip install -r requirements.txt \
    && rm requirements.txt

# 2. The package itself, without touching the dependencies installed above.
COPY indexing/ ./indexing/
COPY service/ ./service/
RUN pip install --no-deps . && rm -rf /src/build /src/*.egg-info

# 3. Run as an unprivileged user, with writable paths outside the installed package.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin shoprec
USER shoprec
WORKDIR /home/shoprec
ENV SHOPREC_PRODUCTS_CSV=/data/products.csv \
    SHOPREC_INTERACTIONS_CSV=/data/interactions.csv

EXPOSE 8000

# /health answers 503 when Redis or the live index is missing; urlopen raises on it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=3)"]

# Workers: one per core; compose.yaml passes --workers from SHOPREC_WORKERS.
CMD ["shoprec", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "1"]
