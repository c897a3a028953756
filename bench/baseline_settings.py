"""Production settings (config.settings, read from the environment as usual) serving the project's
URLs plus the raw-SQL baseline view: `DJANGO_SETTINGS_MODULE=bench.baseline_settings`."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline_urls"
