"""English date formats of the help desk (FORMAT_MODULE_PATH): ISO-like days and 24-hour
times, as the pages always showed them; other languages keep Django's (de 03.12.2026 14:05)."""

SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
