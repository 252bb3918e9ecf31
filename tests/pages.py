"""Helpers for driving the public pages through Flask's test client."""
import html
import re


def hidden(page_html, name):
    """Return the value of the hidden input `name` in a page."""
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page_html)
    return html.unescape(match.group(1)) if match else None


def field_value(page_html, name):
    """Return the value attribute of the input `name` as the page shows it."""
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page_html).group(0)
    match = re.search(r'value="([^"]*)"', tag)
    return html.unescape(match.group(1)) if match else ""


def errors(page_html):
    """Map each field id to its error message on a page."""
    return {
        field: html.unescape(message)
        for field, message in re.findall(r'<p class="error" id="([\w-]+)-error">([^<]*)</p>', page_html)
    }


def signup(client, screening_id, **fields):
    """Open the sign-up form, then post it with `fields` (CSRF token and form key included)."""
    page = client.get(f"/screenings/{screening_id}").get_data(as_text=True)
    data = {"csrf_token": hidden(page, "csrf_token"), "form_key": hidden(page, "form_key")}
    data.update(fields)
    return client.post(f"/screenings/{screening_id}", data=data)
