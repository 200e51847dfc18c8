"""Facebook page objects over m./mbasic HTML: a group's or page's feed, and one post's permalink.

Each post is an element whose ``data-ft`` JSON names ``top_level_post_id`` (``<article>`` on m.facebook.com,
``<div role="article">`` on mbasic), with the group in ``page_insights[*].page_id_type == "group"`` and the
time in ``post_context.publish_time``. Sellers write phones, Zalo numbers and prices ("350k", "1tr2",
"ib giá") in free text; those are pulled out here, the price left None when only "ib"/"inbox" is written.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup, Tag

from crawler.clean import extract_phones, nfc, parse_vnd, strip_accents
from crawler.exceptions import BlockedPage, ListingRemoved, NotAListingPage
from crawler.items import ListingItem, SellerItem

from .base import Item, Page, compact, epoch_to_iso

__all__ = ["FacebookGroupPage", "FacebookPostPage", "Target", "find_price", "find_zalo", "parse_target", "post_url"]

SITE = "https://www.facebook.com"
_LOGIN_WALL = re.compile(
    r'id="login_form"|You must log in|Bạn phải đăng nhập|action="[^"]*/checkpoint/|/checkpoint/\?|'
    r"Log in to continue|Đăng nhập để tiếp tục",
    re.I,
)
# What m.facebook.com shows for a deleted post or one its author hid from the public.
_REMOVED = re.compile(
    r"Nội dung này hiện không hiển thị|Nội dung này hiện không khả dụng|This content isn't available"
    r"|The page you requested cannot be displayed|Trang bạn yêu cầu không thể hiển thị|Content Not Found",
    re.I,
)
_GROUP_IN_URL = re.compile(r"/groups/([^/?#]+)")
# "1tr2", "2,5 triệu", "350k", "350 nghìn", "1.250.000đ", "1,250,000 vnđ": a number with a money unit,
# or with thousands separators (phone numbers are never written 3-3-3 after a 1-3 digit head).
_PRICE = re.compile(
    r"(?<![\w.,])(\d+(?:[.,]\d+)?\s*(?:tr\d{0,3}|triệu|trieu|k|nghìn|nghin|ngàn|ngan)"
    r"|\d{1,3}(?:[.,]\d{3})+\s*(?:đ|vnđ|vnd|₫|d)?|\d+\s*(?:đ|vnđ|vnd|₫))(?![\w])",
    re.I,
)
_ASK_PRICE = re.compile(r"\b(?:ib|inbox|ibx|liên hệ|lh)\b(?:\s*(?:giá|gia|để biết giá|báo giá))?", re.I)
_ZALO = re.compile(r"zalo|zl\b|za lo", re.I)


# Amounts that are not the asking price: gold purity ("vàng 18K") and what the seller once paid
# ("giá mua 1tr390 pass 650k").
_NOT_ASKING = re.compile(r"(?:vàng|vang|gold|giá mua|gia mua|giá gốc|gia goc)\s*$", re.I)
_UNIT = re.compile(r"[^\d\s.,]")
MIN_BARE_PRICE = 10_000  # "4.200" with no unit is a count ("shot count 4.200"), not a price in đồng


def find_price(text: str | None) -> tuple[int | None, str | None]:
    """``(price VND, the words used)`` written in a post; ``(None, "ib giá")`` for "ask me" posts."""
    if not text:
        return None, None
    for match in _PRICE.finditer(text):
        written = match.group(1)
        value = parse_vnd(written)
        if not value or _NOT_ASKING.search(text[max(0, match.start() - 12) : match.start()]):
            continue
        if value < MIN_BARE_PRICE and not _UNIT.search(written):
            continue
        return value, nfc(written)
    ask = _ASK_PRICE.search(text)
    return None, nfc(ask.group(0).lower()) if ask else None


def find_zalo(text: str | None) -> list[str]:
    """Phone numbers written right after a "Zalo" mention (E.164), in order of appearance."""
    found: list[str] = []
    for match in _ZALO.finditer(text or ""):
        for phone in extract_phones(text[match.end() : match.end() + 40] if text else ""):
            if phone not in found:
                found.append(phone)
    return found


def _data_ft(tag: Tag) -> dict[str, Any]:
    try:
        data = json.loads(str(tag.get("data-ft") or "{}"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _insight(data: dict[str, Any], kind: str) -> dict[str, Any]:
    for insight in (data.get("page_insights") or {}).values():
        if isinstance(insight, dict) and insight.get("page_id_type") == kind:
            return insight
    return {}


def _post_text(story: Tag) -> str | None:
    """The post's own words, paragraphs kept as lines, "… More" toggles dropped."""
    lines: list[str] = []
    for block in story.select('[data-ft*="\\"tn\\":\\"*s\\""]') or story.select("div[data-gt] p"):
        for hidden in block.select(".text_exposed_hide"):
            hidden.decompose()
        for br in block.find_all("br"):
            br.replace_with("\n")
        paragraphs = block.find_all("p") or [block]
        for paragraph in paragraphs:
            lines.extend(line for line in (nfc(part) for part in paragraph.get_text().split("\n")) if line)
    return "\n".join(dict.fromkeys(lines)) or None


def _images(story: Tag) -> list[str]:
    urls: list[str] = []
    for img in story.find_all("img"):
        src = str(img.get("src") or "")
        classes = list(img.get("class") or [])
        if not src or "profpic" in classes or "static.xx.fbcdn.net" in src or "emoji" in src:
            continue
        if src not in urls:
            urls.append(src)
    return urls


class FacebookPage(Page):
    """Story discovery and login-wall detection shared by group feeds and permalinks."""

    def stories(self) -> list[Tag]:
        """Top-level post elements (a shared post's inner copy is not a separate story)."""
        soup = BeautifulSoup(self.text, "html.parser")
        tagged = soup.find_all(True, attrs={"data-ft": re.compile("top_level_post_id")})
        ids = {id(tag) for tag in tagged}
        stories = [tag for tag in tagged if not any(id(parent) in ids for parent in tag.parents)]
        if not stories and _LOGIN_WALL.search(self.url + self.text[:200_000]):
            raise BlockedPage("facebook login wall", self.url)
        return stories

    def listing(self, story: Tag) -> ListingItem | None:
        """One post as a ``social`` listing; None when the element carries no post id."""
        data = _data_ft(story)
        post_id = str(data.get("top_level_post_id") or data.get("mf_story_key") or "")
        if not post_id:
            return None
        group = _insight(data, "group")
        group_match = _GROUP_IN_URL.search(self.url)
        group_id = str(group.get("page_id") or "") or (group_match.group(1) if group_match else None)
        owner_id = str(data.get("content_owner_id_new") or data.get("page_id") or "")
        context = (group or next(iter((data.get("page_insights") or {}).values()), {})).get("post_context") or {}
        text = _post_text(story)
        price, price_text = find_price(text)
        author = story.select_one("header h3 strong a, h3 strong a, h3 a")
        extra = {"zalo": find_zalo(text), "price_text": price_text, "group_id": group_id, "author_id": owner_id}
        return ListingItem(
            source="facebook",
            kind="social",
            item_id=post_id,
            shop_id=group_id or owner_id or None,
            url=post_url(post_id, group_id, owner_id),
            title=text.split("\n", 1)[0][:200] if text else None,
            description=text,
            price=price,
            images=_images(story),
            posted_at=epoch_to_iso(context.get("publish_time")),
            seller=SellerItem(
                source="facebook",
                shop_id=owner_id,
                name=nfc(author.get_text()) if author else None,
                url=_profile_url(author),
                phones=extract_phones(text),
            )
            if owner_id
            else None,
            extra=compact(extra),
        )


def post_url(post_id: str, group_id: str | None, owner_id: str | None) -> str:
    """The group permalink, or ``permalink.php?story_fbid=&id=`` for a page/profile post."""
    if group_id:
        return f"{SITE}/groups/{group_id}/permalink/{post_id}/"
    return f"{SITE}/permalink.php?story_fbid={post_id}&id={owner_id}"


def _profile_url(author: Tag | None) -> str | None:
    href = str(author.get("href") or "") if author else ""
    path, _, query = href.partition("?")
    if path == "/profile.php" and (ids := parse_qs(query).get("id")):
        return f"{SITE}/profile.php?id={ids[0]}"
    return f"{SITE}{path}" if path.startswith("/") and len(path) > 1 else None


class Target(NamedTuple):
    """What a Facebook link or id points at: a ``post`` (with its group or page) or a ``feed``.

    ``path`` is where m.facebook.com serves it (path and query, to put after the base URL).
    """

    kind: str
    path: str
    post_id: str | None = None
    feed: str | None = None


_FB_HOST = re.compile(r"(?:^|\.)(?:facebook\.com|fb\.com)$", re.I)
_NAME = re.compile(r"^[\w.-]+$")


def parse_target(ref: str) -> Target | None:
    """A post permalink, a group or a page, from a facebook.com link (any sub-domain) or a bare id/name."""
    ref = ref.strip()
    if _NAME.match(ref):
        return Target("feed", f"/{ref}/", feed=ref)
    parts = urlsplit(ref if "://" in ref else f"https://{ref}")
    if not _FB_HOST.search(parts.hostname or ""):
        return None
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    story, owner = next(iter(query.get("story_fbid", [])), None), next(iter(query.get("id", [])), None)
    if segments[:1] in (["permalink.php"], ["story.php"]) and story and owner:
        return Target("post", f"/story.php?story_fbid={story}&id={owner}", story, owner)
    if segments[:1] == ["groups"] and len(segments) >= 4 and segments[2] in ("permalink", "posts"):
        return Target("post", f"/groups/{segments[1]}/permalink/{segments[3]}/", segments[3], segments[1])
    if segments[:1] == ["groups"] and len(segments) >= 2:
        return Target("feed", f"/groups/{segments[1]}/", feed=segments[1])
    if segments[:1] == ["profile.php"] and owner:
        return Target("feed", f"/profile.php?id={owner}", feed=owner)
    if len(segments) >= 3 and segments[1] == "posts":
        return Target("post", f"/{segments[0]}/posts/{segments[2]}/", segments[2], segments[0])
    if len(segments) == 1 and _NAME.match(segments[0]):
        return Target("feed", f"/{segments[0]}/", feed=segments[0])
    return None


class FacebookGroupPage(FacebookPage):
    """A group's (or page's) feed: every post on it; an empty feed gives []."""

    def to_items(self) -> list[Item]:
        return [item for item in map(self.listing, self.stories()) if item is not None]

    def next_page(self) -> str | None:
        """The "See more posts" link of the feed (absolute), or None on the last page."""
        soup = BeautifulSoup(self.text, "html.parser")
        for link in soup.select("#m_more_item a[href], a[href]"):
            label = strip_accents(link.get_text(" ", strip=True)).lower()
            if link.find_parent(id="m_more_item") or label in {"see more posts", "xem them bai viet"}:
                href = str(link["href"])
                return href if href.startswith("http") else f"https://m.facebook.com{href}"
        return None


class FacebookPostPage(FacebookPage):
    """A single post's permalink page: the first story is the post (comments are not stories).

    A deleted or hidden post ("Nội dung này hiện không hiển thị") raises ``ListingRemoved``.
    """

    def to_items(self) -> list[Item]:
        stories = self.stories()
        item = self.listing(stories[0]) if stories else None
        if item is None and _REMOVED.search(self.text[:200_000]):
            raise ListingRemoved(f"Facebook post removed or hidden: {self.url}")
        if item is None:
            raise NotAListingPage(f"no Facebook post on page: {self.url}")
        return [item]
