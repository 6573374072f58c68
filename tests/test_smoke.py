def test_home_redirects_to_db_zero(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/c/default/db/0/"


def test_browse_lists_a_key(client, r):
    r.set(b"hello", b"world")
    response = client.get("/c/default/db/0/")
    assert response.status_code == 200
    assert b"hello" in response.content
