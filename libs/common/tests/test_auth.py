from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Annotated

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI

from guichet_common.apikeys import service as api_keys
from guichet_common.auth import JwtVerifier, Principal, require_roles
from guichet_common.http import Unauthorized, install_problem_handlers
from guichet_common.identity import mint_token
from guichet_common.testing.bus import BusSchema

SECRET = "test-secret-for-hs256-tokens-32-bytes!"


async def test_hs256_round_trip() -> None:
    token = mint_token(SECRET, subject="tech-1", roles=["technician"], name="Camille")
    principal = await JwtVerifier(secret=SECRET, jwks_url=None, issuer="guichet").verify(token)
    assert principal.subject == "tech-1"
    assert principal.roles == {"technician"}
    assert principal.name == "Camille"


async def test_rejects_expired_wrong_secret_and_unknown_roles() -> None:
    verifier = JwtVerifier(secret=SECRET, jwks_url=None, issuer="guichet")
    expired = mint_token(SECRET, subject="x", roles=["ops"], ttl=timedelta(seconds=-10))
    with pytest.raises(Unauthorized, match="expired"):
        await verifier.verify(expired)
    with pytest.raises(Unauthorized):
        await verifier.verify(
            mint_token("another-secret-another-secret-123", subject="x", roles=["ops"])
        )
    with pytest.raises(ValueError, match="unknown roles"):
        mint_token(SECRET, subject="x", roles=["superuser"])


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json", key
    server.shutdown()
    server.server_close()


async def test_rs256_from_jwks_with_audience_and_client_roles(
    jwks_server: tuple[str, rsa.RSAPrivateKey],
) -> None:
    url, key = jwks_server
    verifier = JwtVerifier(secret=None, jwks_url=url, issuer="https://idp", audience="guichet")

    def token(**claims: object) -> str:
        base = {"sub": "u1", "exp": 4102444800, "iss": "https://idp", "aud": "guichet"}
        return jwt.encode({**base, **claims}, key, algorithm="RS256", headers={"kid": "k1"})

    principal = await verifier.verify(
        token(
            realm_access={"roles": ["admin"]},
            resource_access={
                "guichet": {"roles": ["supervisor"]},
                "other-app": {"roles": ["admin"]},
            },
        )
    )
    assert principal.roles == {"supervisor"}, "neither realm nor other clients' roles count"
    with pytest.raises(Unauthorized, match=r"(?i)audience"):
        await verifier.verify(token(aud="another-client"))
    hs_token = mint_token(SECRET, subject="x", roles=["admin"], issuer="https://idp")
    with pytest.raises(Unauthorized):
        await verifier.verify(hs_token)


def test_no_configured_secret_means_a_random_one() -> None:
    from guichet_common.settings import CommonSettings

    first, second = CommonSettings(), CommonSettings()
    assert first.jwt_secret.get_secret_value() != second.jwt_secret.get_secret_value()
    assert len(first.jwt_secret.get_secret_value()) >= 32


async def test_require_roles_dependency() -> None:
    app = FastAPI()
    app.state.jwt_verifier = JwtVerifier(secret=SECRET, jwks_url=None, issuer="guichet")
    install_problem_handlers(app)

    @app.get("/stats")
    async def stats(
        who: Annotated[Principal, Depends(require_roles("supervisor"))],
    ) -> dict[str, str]:
        return {"sub": who.subject}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        assert (await client.get("/stats")).status_code == 401
        tech = mint_token(SECRET, subject="t", roles=["technician"])
        assert (
            await client.get("/stats", headers={"Authorization": f"Bearer {tech}"})
        ).status_code == 403
        for role in ("supervisor", "admin"):
            token = mint_token(SECRET, subject=role, roles=[role])
            ok = await client.get("/stats", headers={"Authorization": f"Bearer {token}"})
            assert ok.status_code == 200 and ok.json() == {"sub": role}


async def test_sites_claim_limits_a_person_to_some_sites() -> None:
    verifier = JwtVerifier(secret=SECRET, jwks_url=None, issuer="guichet")
    principal = await verifier.verify(
        mint_token(SECRET, subject="principal", roles=["requester"], sites=["0450001A"])
    )
    assert principal.sites == frozenset({"0450001A"})
    everyone = await verifier.verify(mint_token(SECRET, subject="dsi", roles=["technician"]))
    assert everyone.sites is None, "no claim: every site"


async def test_api_keys_are_hashed_scoped_and_revocable(bus_schema: BusSchema) -> None:
    tables = bus_schema.tables
    async with bus_schema.session_factory() as session, session.begin():
        new = await api_keys.create(
            session,
            tables,
            service="testsvc",
            name="imaging agent",
            scopes=["testsvc:agent"],
            sites=["0450001A"],
        )
        stored = (await session.execute(tables.api_key.select())).one()
        assert new.plaintext.split("_")[-1] not in str(stored)
        key = await api_keys.verify(session, tables, new.plaintext)
        assert key is not None and key.scopes == ["testsvc:agent"] and key.sites == ["0450001A"]
        assert await api_keys.verify(session, tables, new.plaintext + "x") is None
        assert await api_keys.verify(session, tables, "garbage") is None
        await session.execute(tables.api_key.update().values(revoked_at=stored.created_at))
        assert await api_keys.verify(session, tables, new.plaintext) is None
