# Clarity API / worker image. Build: docker build -t clarity .
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 10001 clarity
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY models ./models
RUN pip install '.[postgres,s3,worker]'
USER clarity
ENV CLARITY_DATA_DIR=/home/clarity/var
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["clarity", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--no-migrate"]
