import re

from tests.conftest import api_client


def test_the_openapi_schema_documents_json_errors(db):
    response = api_client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    me = schema["paths"]["/api/v1/me/"]["get"]["responses"]
    assert {"200", "400", "401", "403", "404", "409", "413", "429"} <= set(me)


def test_the_interactive_docs_load_their_assets_from_this_server(client, db):
    page = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets, "the docs page should reference its scripts and styles"
    for url in assets:
        assert url.startswith("/"), f"{url} would need the internet"
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url
