FROM python:3.11-slim-bookworm

# WeasyPrint needs pango; gettext compiles the Welsh catalogue; Node builds GOV.UK Frontend.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core gettext nodejs npm make \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
# The build's own commands load the settings, which want a key: one made for the build and
# never kept in the image. The running container is given its own SECRET_KEY.
RUN pip install --no-cache-dir -c constraints.txt . \
    && make assets \
    && export SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    && python manage.py compilemessages -v 0 --ignore=node_modules \
    && STATIC_MANIFEST=true python manage.py collectstatic --no-input -v 0

ENV STATIC_MANIFEST=true
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
