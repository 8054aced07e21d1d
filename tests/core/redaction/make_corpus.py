"""Writes corpus.jsonl: help-desk messages with fake secrets, labelled, and benign look-alikes.

Run once (`python tests/core/redaction/make_corpus.py`); the output is committed, so the
figures never move with the generator. Every secret is random and only has the shape of the
real format: none of them is a working key. A label is the exact value that must be masked and
its kind; a benign string has no label and must come back unchanged.
"""

import base64
import json
import random
import string
from pathlib import Path

rng = random.Random(20261202)
ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
LOWER_HEX = "0123456789abcdef"
B64URL = ALNUM + "-_"
B64 = ALNUM + "+/"
LANGS = ("en", "pt-BR", "de", "es", "ru")


def pick(alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


# --- fake secrets in the real formats --------------------------------------------------------


def aws_access_key() -> str:
    return rng.choice(["AKIA", "ASIA"]) + pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret_key() -> str:
    return pick(B64, 40)


def github_token() -> str:
    if rng.random() < 0.25:
        return "github_pat_" + pick(ALNUM, 22) + "_" + pick(ALNUM, 59)
    return rng.choice(["ghp", "gho", "ghs", "ghu"]) + "_" + pick(ALNUM, 36)


def gitlab_token() -> str:
    return rng.choice(["glpat-", "glpat-", "gldt-"]) + pick(ALNUM + "_-", 20)


def slack_token() -> str:
    return (
        f"{rng.choice(['xoxb', 'xoxp'])}-{pick(string.digits, 12)}-{pick(string.digits, 13)}-"
        + (pick(ALNUM, 24))
    )


def slack_webhook() -> str:
    team, bot = pick(UPPER_DIGITS, 8), pick(UPPER_DIGITS, 10)
    return f"https://hooks.slack.com/services/T{team}/B{bot}/{pick(ALNUM, 24)}"


def stripe_key() -> str:
    prefix = rng.choice(["sk_live_", "sk_live_", "rk_live_", "sk_test_"])
    return prefix + pick(ALNUM, rng.choice([24, 34, 99]))


def openai_key() -> str:
    if rng.random() < 0.5:
        return "sk-" + pick(ALNUM, 20) + "T3BlbkFJ" + pick(ALNUM, 20)
    return "sk-proj-" + pick(ALNUM + "-_", 40) + pick(ALNUM, 20) + "T3BlbkFJ" + pick(ALNUM, 40)


def google_api_key() -> str:
    return "AIza" + pick(ALNUM + "-_", 35)


def twilio_key() -> str:
    return rng.choice(["SK", "AC"]) + pick(LOWER_HEX, 32)


def sendgrid_key() -> str:
    return "SG." + pick(B64URL, 22) + "." + pick(B64URL, 43)


def jwt() -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": str(rng.randint(1000, 99999)), "name": "Maria", "iat": 1764600000}
    payload = b64url(json.dumps(claims).encode())
    return f"{header}.{payload}.{pick(B64URL, 43)}"


def private_key_body() -> str:
    lines = [pick(B64, 64) for _ in range(rng.randint(3, 6))] + [pick(B64, 20) + "=="]
    return "\n".join(lines)


def password() -> str:
    return rng.choice(
        [
            "Summer2024!",
            "Tr0ub4dor&3",
            "hunter2",
            "S3nh@F0rte#99",
            "Kennwort!2025",
            "Qwerty_7781",
            "m1nh4s3nh4",
            "P@ssw0rd-Acme-2026",
            "Zugang#4711",
            "Contra$eña88",
            "Пароль2025!",
            "correct-horse-battery-9",
        ]
    ) + pick(string.digits, rng.choice([0, 0, 2]))


def opaque_token() -> str:
    return pick(ALNUM, rng.choice([32, 40, 48]))


def hex_token() -> str:
    return pick(LOWER_HEX, rng.choice([32, 40, 64]))


def db_password() -> str:
    return pick(ALNUM, rng.randint(10, 20))


# --- messages --------------------------------------------------------------------------------

# Provider keys dropped into ordinary help-desk prose, per language.
PROSE = {
    "en": [
        "Hi, our integration stopped working this morning. The key we use is {s} — can you check?",
        "I think I pasted the wrong thing last time, here it is again: {s}\nThanks, Tom",
        "Error in our deploy log:\n  config.credential={s}\n  status=401 Unauthorized",
        "Could you rotate {s}? A contractor saw it on a screen share.",
        "Webhook calls fail since the upgrade. We configured {s} as described in your docs.",
    ],
    "pt-BR": [
        "Olá, a integração parou hoje cedo. A chave que usamos é {s}, podem verificar?",
        "Bom dia! Segue o token que aparece no painel: {s}\nObrigado, João",
        "Erro no log de implantação:\n  config.credential={s}\n  status=401",
        "Vocês podem revogar {s}? Um terceirizado viu na tela compartilhada.",
    ],
    "de": [
        "Hallo, seit heute früh geht die Anbindung nicht mehr. Wir nutzen {s}, bitte prüfen.",
        "Guten Tag, hier der Wert aus unserer Konfiguration: {s}\nViele Grüße, Anna",
        "Fehler im Deploy-Log:\n  config.credential={s}\n  Status 401",
        "Könnt ihr {s} bitte sperren? Ein Dienstleister hat ihn gesehen.",
    ],
    "es": [
        "Hola, la integración dejó de funcionar esta mañana. Usamos {s}, ¿pueden revisarlo?",
        "Buenas, les paso lo que aparece en el panel: {s}\nGracias, Lucía",
        "Error en el registro de despliegue:\n  config.credential={s}\n  estado=401",
        "¿Pueden revocar {s}? Un proveedor lo vio en una videollamada.",
    ],
    "ru": [
        "Здравствуйте, интеграция перестала работать утром. "
        "Мы используем {s}, проверьте, пожалуйста.",
        "Добрый день! Вот значение из панели: {s}\nСпасибо, Иван",
        "Ошибка в журнале развёртывания:\n  config.credential={s}\n  статус 401",
        "Можете отозвать {s}? Подрядчик видел его на демонстрации экрана.",
    ],
}

PROVIDERS = {
    "aws_access_key": aws_access_key,
    "github_token": github_token,
    "gitlab_token": gitlab_token,
    "slack_token": slack_token,
    "slack_webhook": slack_webhook,
    "stripe_key": stripe_key,
    "openai_key": openai_key,
    "google_api_key": google_api_key,
    "twilio_key": twilio_key,
    "sendgrid_key": sendgrid_key,
    "jwt": jwt,
}

AWS_SECRET = {
    "en": 'Our boto config:\naws_access_key_id = {k}\naws_secret_access_key = "{s}"',
    "pt-BR": "Minha configuração:\naws_access_key_id={k}\naws_secret_access_key={s}",
    "de": 'Unsere Konfiguration:\nAWS_ACCESS_KEY_ID={k}\nAWS_SECRET_ACCESS_KEY="{s}"',
    "es": "Mi configuración:\naws_access_key_id: {k}\naws_secret_access_key: {s}",
    "ru": "Наши настройки:\naws_access_key_id = {k}\naws_secret_access_key = {s}",
}

PEM = {
    "en": "Here is the deploy key so you can log in to our server:\n{pem}\nPlease be careful.",
    "pt-BR": "Segue a chave do servidor:\n{pem}\nAbraço.",
    "de": "Anbei der Schlüssel für den Server:\n{pem}\nDanke!",
    "es": "Les paso la llave del servidor:\n{pem}\nSaludos.",
    "ru": "Вот ключ от сервера:\n{pem}\nСпасибо.",
}

URLS = {
    "en": [
        "Our database is at postgres://app:{s}@db.internal.example:5432/shop if that helps.",
        "We clone from https://deploy:{s}@git.example.com/acme/shop.git and it fails.",
    ],
    "pt-BR": ["O banco é mysql://root:{s}@10.0.0.5:3306/loja, não conecta."],
    "de": ["Der Broker ist amqp://shop:{s}@mq.example.de:5672/ – Verbindung bricht ab."],
    "es": ["La conexión es redis://default:{s}@cache.example.es:6379/0 y falla."],
    "ru": ["Строка подключения: postgresql://admin:{s}@10.1.2.3/crm — не работает."],
}

# Keyword forms, per language: "{s}" is the value that must be masked.
PASSWORD = {
    "en": [
        "I can't log in. Username: maria.k, password: {s}",
        "my password is {s} and it still says invalid",
        "Config snippet:\n  DB_USER=shop\n  DB_PASSWD={s}",
        "pwd={s} (the old one)",
        "Password: {s}\nPlease reset it after you have a look.",
    ],
    "pt-BR": [
        "Não consigo entrar. Usuário: joao.s, senha: {s}",
        "minha senha é {s} e continua dando erro",
        "Login: suporte@cliente.com.br / Senha: {s}",
    ],
    "de": [
        "Ich komme nicht rein. Benutzer: anna.m, Passwort: {s}",
        "Mein Passwort lautet {s}, es geht trotzdem nicht.",
        "Kennwort: {s}",
        "das Passwort ist {s} – bitte nicht weitergeben",
    ],
    "es": [
        "No puedo entrar. Usuario: lucia.p, contraseña: {s}",
        "mi contraseña es {s} y sigue fallando",
        "Contraseña = {s}",
    ],
    "ru": [
        "Не могу войти. Логин: ivan.p, пароль: {s}",
        "мой пароль — {s}, но вход не проходит",
        "Пароль: {s}",
    ],
}

BEARER = [
    "curl -H 'Authorization: Bearer {s}' https://api.example.com/v1/orders returns 403",
    "Request headers:\nAuthorization: Bearer {s}\nAccept: application/json",
    "GET /v2/items HTTP/1.1\nHost: api.example.com\nauthorization: bearer {s}",
    "Заголовок запроса: Authorization: Bearer {s}",
    "Cabeçalho enviado: Authorization: Token {s}",
]

API_KEY = {
    "en": ["Our settings file has api_key={s} in it.", "X-API-Key: {s}", "apikey: '{s}'"],
    "pt-BR": ["A chave de API é {s}, está certa?", "api_key = {s}"],
    "de": ["Unser API-Schlüssel: {s}", "API Key {s} funktioniert nicht mehr"],
    "es": ["La clave de API es {s}.", "clave API: {s}"],
    "ru": ["Наш API-ключ: {s}", "ключ API {s} перестал работать"],
}

SECRET_TOKEN = {
    "en": [
        "client_secret: {s}",
        "The access token is {s} — it expired?",
        "secret={s}",
        "Our webhook signing secret is {s}",
    ],
    "pt-BR": ["O token de acesso é {s}", "segredo: {s}"],
    "de": ["Zugangstoken: {s}", "Das Token lautet {s}."],
    "es": ["El token de acceso es {s}", "secreto: {s}"],
    "ru": ["Токен доступа: {s}", "секрет: {s}"],
}

# --- benign look-alikes ----------------------------------------------------------------------


def uuid() -> str:
    h = pick(LOWER_HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def thumbnail() -> str:
    return (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA" + pick(B64, rng.randint(200, 600)) + "=="
    )


def iban() -> str:
    return rng.choice(["DE", "ES", "PT", "BR"]) + pick(string.digits, 20)


def benign_messages() -> list[tuple[str, str]]:
    out = []
    for lang, lines in {
        "en": [
            "Follow-up on ACME-{n}: the export still times out after 30 s.",
            "Order {iban} was charged twice, please refund one of them.",
            "Deployed commit {sha} to staging, the bug is still there.",
            "2026-12-01T09:14:02Z INFO request_id={uuid} path=/api/orders status=500",
            "See https://status.example.com/incidents/{n}?utm_source=mail for the outage.",
            "Screenshot inline: {thumb}",
            "I forgot my password, can you send a reset link?",
            "The password reset email never arrives.",
            "My password is not working since yesterday.",
            "Which API key should I use for the sandbox? The docs are unclear.",
            "The token expired again, how long do tokens last?",
            "Press the Enter key twice and the form submits empty.",
            "Customer id {uuid} cannot see invoice INV-2026-{n}.",
            "X-Request-Id: {hex32} returned 502 at 10:02.",
            "git log shows {sha} as the last good build.",
            "Our primary key column id went past 2147483647, see trace {hex32}.",
            "Tracking number 1Z{upper16} shows delivered but nothing arrived.",
            "Set the secret in the dashboard, not in the ticket — noted, thanks!",
            "Please use https://shop.example.com/login?next=/orders/{n} to reproduce.",
            "Webhook id wh_{n} sends duplicate events.",
        ],
        "pt-BR": [
            "Sobre o chamado ACME-{n}: a exportação continua lenta.",
            "O pedido {iban} foi cobrado duas vezes.",
            "Esqueci minha senha, podem enviar o link de redefinição?",
            "A senha está expirada, o que faço?",
            "log: 2026-12-01 10:00:01 ERROR req={uuid} falhou ao salvar",
            "Publicamos o commit {sha} e o erro continua.",
            "Imagem: {thumb}",
            "Qual chave de API devo usar no ambiente de testes?",
            "O token expirou de novo.",
            "Veja https://ajuda.example.com.br/artigos/{n} para detalhes.",
        ],
        "de": [
            "Nachtrag zu ACME-{n}: der Export hängt weiterhin.",
            "Bestellung {iban} wurde doppelt abgebucht.",
            "Ich habe mein Passwort vergessen, bitte einen Link schicken.",
            "Das Passwort ist abgelaufen, was nun?",
            "Log: 2026-12-01 10:00:01 WARN request_id={uuid} Timeout",
            "Commit {sha} ist jetzt auf Staging.",
            "Bild: {thumb}",
            "Welchen API-Schlüssel brauche ich für die Testumgebung?",
            "Der Token ist schon wieder abgelaufen.",
            "Siehe https://hilfe.example.de/artikel/{n} dazu.",
        ],
        "es": [
            "Sobre ACME-{n}: la exportación sigue fallando.",
            "El pedido {iban} se cobró dos veces.",
            "Olvidé mi contraseña, ¿me envían un enlace?",
            "La contraseña es incorrecta según el sistema.",
            "log: 2026-12-01 10:00:01 ERROR request_id={uuid} tiempo agotado",
            "Subimos el commit {sha} a producción.",
            "Captura: {thumb}",
            "¿Qué clave de API uso en pruebas?",
            "El token caducó otra vez.",
            "Ver https://ayuda.example.es/articulos/{n}.",
        ],
        "ru": [
            "По заявке ACME-{n}: выгрузка всё ещё зависает.",
            "Заказ {iban} списан дважды.",
            "Я забыл пароль, пришлите ссылку для сброса.",
            "Пароль не подходит после обновления.",
            "лог: 2026-12-01 10:00:01 ERROR request_id={uuid} таймаут",
            "Выкатили коммит {sha} на стенд.",
            "Скриншот: {thumb}",
            "Какой API-ключ использовать для тестов?",
            "Токен снова истёк.",
            "Подробности: https://help.example.ru/articles/{n}",
        ],
    }.items():
        for line in lines:
            for _ in range(2 if lang == "en" else 3):
                text = line.format(
                    n=rng.randint(1, 99999),
                    iban=iban(),
                    sha=pick(LOWER_HEX, 40),
                    uuid=uuid(),
                    thumb=thumbnail(),
                    hex32=pick(LOWER_HEX, 32),
                    upper16=pick(UPPER_DIGITS, 16),
                )
                out.append((lang, text))
    return out


def main() -> None:
    items: list[dict] = []

    def add(lang: str, text: str, *secrets: tuple[str, str]) -> None:
        for _, value in secrets:
            assert value in text, (value, text)
        items.append(
            {
                "id": len(items) + 1,
                "lang": lang,
                "text": text,
                "secrets": [{"kind": k, "value": v} for k, v in secrets],
            }
        )

    for kind, make in PROVIDERS.items():
        for lang in LANGS:
            for template in rng.sample(PROSE[lang], 2 if lang != "en" else 3):
                value = make()
                add(lang, template.format(s=value), (kind, value))
    for lang in LANGS:
        for _ in range(2):
            key, secret = aws_access_key(), aws_secret_key()
            add(
                lang,
                AWS_SECRET[lang].format(k=key, s=secret),
                ("aws_access_key", key),
                ("aws_secret_key", secret),
            )
        for label in ("RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY"):
            if rng.random() < 0.4:
                continue
            body = private_key_body()
            pem = f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"
            add(lang, PEM[lang].format(pem=pem), ("private_key", body))
        for template in URLS[lang]:
            for _ in range(2):
                value = db_password()
                add(lang, template.format(s=value), ("url_credentials", value))
        for template in PASSWORD[lang]:
            for _ in range(2):
                value = password()
                add(lang, template.format(s=value), ("password", value))
        for template in API_KEY[lang]:
            for _ in range(2):
                value = rng.choice([opaque_token, hex_token, uuid])()
                add(lang, template.format(s=value), ("api_key", value))
        for template in SECRET_TOKEN[lang]:
            for _ in range(2):
                value = rng.choice([opaque_token, hex_token])()
                add(lang, template.format(s=value), ("secret_token", value))
    for template in BEARER:
        for _ in range(3):
            value = opaque_token()
            add("en", template.format(s=value), ("bearer_token", value))
    # A JWT as a bearer token is reported as what it is.
    for _ in range(3):
        value = jwt()
        add("en", BEARER[1].format(s=value), ("jwt", value))
    for lang, text in benign_messages():
        add(lang, text)

    path = Path(__file__).with_name("corpus.jsonl")
    with path.open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    positives = sum(1 for i in items if i["secrets"])
    print(f"{len(items)} strings ({positives} with secrets) -> {path}")


if __name__ == "__main__":
    main()
