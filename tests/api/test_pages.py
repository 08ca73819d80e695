"""The pages: login (CSRF, throttling, cookie flags), language, the calls list and a call."""

from __future__ import annotations

from tests.api.conftest import PASSWORD


def log_in(client, name="test-supervisor", password=PASSWORD, **headers):
    client.get("/login", headers=headers)
    return client.post("/login", data={"username": name, "password": password, "csrf": client.cookies.get("hotline_csrf"), "next": "/calls"}, headers=headers, follow_redirects=False)


def test_pages_need_a_login_and_come_back_after_it(make_client):
    client = make_client()
    for page in ("/wallboard", "/calls", "/calls/demo-ast20/1795495540.130"):
        response = client.get(page, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    response = log_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/calls"
    cookie = [h for h in response.headers.get_list("set-cookie") if h.startswith("hotline_session=")][0].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/wallboard").status_code == 200


def test_login_form_needs_its_csrf_token(make_client):
    client = make_client()
    client.get("/login")
    response = client.post("/login", data={"username": "test-supervisor", "password": PASSWORD, "csrf": "forged"}, follow_redirects=False)
    assert response.status_code == 403 and "hotline_session" not in response.headers.get("set-cookie", "")
    logged_in = log_in(client)
    assert logged_in.status_code == 303
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403  # logout is a form too
    assert client.get("/calls", follow_redirects=False).status_code == 200
    client.post("/logout", data={"csrf": client.cookies.get("hotline_csrf")})
    assert client.get("/calls", follow_redirects=False).status_code == 303


def test_wrong_password_and_throttling_on_the_page(make_client):
    client = make_client(login_max_failures_per_address=2)
    first = log_in(client, "page-nobody", "wrong password", **{"accept-language": "en"})
    assert first.status_code == 401 and "Wrong user name or password." in first.text
    log_in(client, "page-nobody", "wrong password")
    third = log_in(client, "test-supervisor", PASSWORD, **{"accept-language": "zh-CN,zh;q=0.9"})
    assert third.status_code == 429 and "失败次数过多" in third.text


def test_language_follows_the_browser_and_the_switch(make_client):
    client = make_client()
    assert "登录" in client.get("/login", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"}).text
    assert "Sign in" in client.get("/login", headers={"accept-language": "en-GB,en;q=0.9"}).text
    client.get("/lang/zh?next=/login", headers={"accept-language": "en"})
    assert "登录" in client.get("/login", headers={"accept-language": "en"}).text
    assert client.get("/lang/en?next=//evil.example", follow_redirects=False).headers["location"] == "/wallboard"


def test_calls_page_filters_pages_and_opens_a_call(make_client):
    client = make_client()
    log_in(client)
    listing = client.get("/calls", params={"queue": "support", "disposition": "answered"}, headers={"accept-language": "zh"})
    assert listing.status_code == 200 and "13800138000" in listing.text and "已接通" in listing.text
    assert "Content-Security-Policy" in listing.headers and listing.headers["X-Frame-Options"] == "DENY"
    bad = client.get("/calls", params={"since": "soon"})
    assert bad.status_code == 422 and "since" in bad.text
    call = client.get("/calls/demo-ast20/1795495540.130", headers={"accept-language": "zh"})
    assert call.status_code == 200 and "时间线" in call.text and "agent_connected" in call.text
    assert client.get("/calls/demo-ast20/nope").status_code == 404


def test_agents_pages_show_only_their_calls_masked(make_client):
    client = make_client()
    log_in(client, "test-agent")
    listing = client.get("/calls").text
    assert "138****8000" in listing and "13800138000" not in listing and "Agent Wang" not in listing
