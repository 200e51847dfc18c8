"""Facebook replica: public group and page feeds and post permalinks as m.facebook.com serves them.

Each post is an ``<article data-ft='{"top_level_post_id", "content_owner_id_new", "page_insights":
{...: {"page_id_type", "post_context": {"publish_time"}}}}'>`` (``fixtures/real/facebook_group_mbasic_1.html``,
SOURCES.md §6); a feed shows ``PAGE_SIZE`` posts, newest first, and links the next ones under
``#m_more_item`` ("Xem thêm bài viết"). ``/<id>`` of a group redirects to ``/groups/<id>/`` as Facebook does.
A deleted post's permalink says "Nội dung này hiện không hiển thị"; the ``block`` fault is the login wall.
Posts come from the corpus, plus ``HABITS``: the price and contact habits the corpus lacks ("1tr2", "ib giá").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from html import escape
from typing import Any
from urllib.parse import quote

from crawler.sandbox.corpus import by_source
from crawler.sandbox.server import Reply, Request

__all__ = ["HABITS", "PAGE_SIZE", "FacebookSite", "Post", "group_ids", "page_ids"]

PAGE_SIZE = 3
NEWEST = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)  # the newest post; each later one is STEP older
STEP = timedelta(hours=9)
VN = timedelta(hours=7)

HABITS: list[dict[str, Any]] = [
    {
        "_id": "facebook:1425367890123456:1425399911112222",
        "url": "https://www.facebook.com/groups/1425367890123456/posts/1425399911112222/",
        "description": "PASS TÚI LV NEVERFULL LIKE AUTH 1:1 🔥🔥\nHàng đẹp như hình, fullbox + bill, dùng 2 lần.\n"
        "Giá pass 1tr2 freeship nội thành\nLiên hệ 0909 123 456 hoặc zalo 0912.345.678 nha mn",
        "seller": {"id": "facebook:100012345678901", "name": "Ngọc Trâm Nguyễn"},
    },
    {
        "_id": "facebook:1425367890123456:1425388800001111",
        "url": "https://www.facebook.com/groups/1425367890123456/posts/1425388800001111/",
        "description": "Rolex Daytona Rep 1:1 máy Nhật, dây thép 904L. Ib giá ạ\nZalo: 0987654321",
        "seller": {"id": "facebook:100087654321098", "name": "Đồng Hồ Xách Tay Hà Nội"},
    },
    {
        "_id": "facebook:1425367890123456:1425377700002222",
        "url": "https://www.facebook.com/groups/1425367890123456/posts/1425377700002222/",
        "description": "Nước hoa Dior Sauvage chiết 10ml chỉ 350k, còn 5 chai",
        "seller": {"id": "facebook:100055566677788", "name": "Minh Khoa"},
    },
]

REMOVED_PAGE = (
    "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'><title>Nội dung không khả dụng | Facebook</title>"
    "</head><body><div id='viewport'><div id='root' role='main'><h2>Nội dung này hiện không hiển thị</h2>"
    "<div>Lỗi này thường do chủ sở hữu chỉ chia sẻ nội dung với một nhóm nhỏ, thay đổi người được xem hoặc đã "
    "xóa nội dung.</div><a href='/home.php?refid=8'>Quay lại Bảng tin</a></div></div></body></html>"
)
LOGIN_WALL = (
    "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'><title>Đăng nhập Facebook | Facebook</title>"
    "</head><body><div id='viewport'><div id='root'><div>Bạn phải đăng nhập để tiếp tục.</div>"
    "<form method='post' action='/login/device-based/regular/login/?refsrc=deprecated&amp;lwv=100' "
    "id='login_form'><input type='text' name='email'><input type='password' name='pass'>"
    "<input type='submit' value='Đăng nhập' name='login'></form></div></div></body></html>"
)
_CURSOR = re.compile(r"^(\d+):(\d+)$")


@dataclass(frozen=True)
class Post:
    """One post as the replica serves it; ``feed`` is the group id or, for a page's own post, the page id."""

    post_id: str
    feed: str
    in_group: bool
    author_id: str
    author: str
    text: str
    published: datetime
    removed: bool = False

    @property
    def owner_url(self) -> str:
        return f"/{self.author_id}?groupid={self.feed}&refid=18" if self.in_group else f"/{self.author_id}?refid=17"


def _post(row: dict[str, Any], index: int) -> Post:
    _, feed, post_id = row["_id"].split(":")
    return Post(
        post_id=post_id,
        feed=feed,
        in_group="/groups/" in row["url"],
        author_id=row["seller"]["id"].split(":", 1)[1],
        author=row["seller"]["name"],
        text=row["description"],
        published=NEWEST - index * STEP,
    )


class FacebookSite:
    hosts: tuple[str, ...] = ("m.facebook.com", "mbasic.facebook.com", "www.facebook.com")

    def __init__(self) -> None:
        self.changes: dict[str, dict[str, Any]] = {}

    @cached_property
    def corpus_posts(self) -> list[Post]:
        return [_post(row, i) for i, row in enumerate([*HABITS, *by_source("facebook")])]

    @property
    def posts(self) -> list[Post]:
        """Every post, newest first, with the changes made through ``mutate``."""
        return [replace(p, **self.changes[p.post_id]) if p.post_id in self.changes else p for p in self.corpus_posts]

    def mutate(self, post_id: str, **changes: Any) -> None:
        """Change a post for a test of re-crawls (``removed=True``, ``text=...``); ``reset`` undoes it."""
        self.changes.setdefault(post_id, {}).update(changes)

    def reset(self) -> None:
        self.changes.clear()

    def fault(self, kind: str, request: Request) -> Reply | None:
        """Facebook's block is its login wall, not a captcha."""
        return Reply.html(LOGIN_WALL) if kind == "block" else None

    def handle(self, request: Request) -> Reply | None:
        path = request.path.split("?")[0].rstrip("/") or "/"
        parts = path.strip("/").split("/")
        if parts[0] == "groups" and len(parts) == 2:
            return self.feed(parts[1], True, request.arg("bacr"))
        if parts[0] == "groups" and len(parts) == 4 and parts[2] in ("permalink", "posts"):
            return self.permalink(parts[3])
        if path in ("/story.php", "/permalink.php"):
            return self.permalink(request.arg("story_fbid"))
        if path == "/profile/timeline/stream":
            return self.feed(request.arg("profile_id"), False, request.arg("cursor"))
        if path == "/profile.php":
            return self.feed(request.arg("id"), False, None)
        if len(parts) in (1, 2) and parts[0].isdigit() and parts[1:] in ([], ["posts"]):
            if any(p.feed == parts[0] and p.in_group for p in self.corpus_posts):
                return Reply(302, "", headers={"Location": f"/groups/{parts[0]}/"})
            return self.feed(parts[0], False, None)
        return None

    def feed(self, feed: str, in_group: bool, cursor: str | None) -> Reply | None:
        posts = [p for p in self.posts if p.feed == feed and p.in_group == in_group and not p.removed]
        if not posts and not any(p.feed == feed for p in self.corpus_posts):
            return None
        if cursor and (match := _CURSOR.match(cursor)):
            ids = [p.post_id for p in posts]
            start = ids.index(match.group(2)) + 1 if match.group(2) in ids else len(ids)
            posts = posts[start:]
        shown, rest = posts[:PAGE_SIZE], posts[PAGE_SIZE:]
        more = ""
        if rest:
            last = shown[-1]
            after = quote(f"{int(last.published.timestamp())}:{last.post_id}")
            href = (f"/groups/{feed}/?bacr={after}&amp;multi_permalinks&amp;refid=18" if in_group
                    else f"/profile/timeline/stream/?cursor={after}&amp;profile_id={feed}&amp;refid=17")
            more = f"<div id='m_more_item'><a href='{href}'><span>Xem thêm bài viết</span></a></div>"
        stories = "".join(self.article(p) for p in shown)
        section = "m_group_stories_container" if in_group else "structured_composer_async_container"
        body = f"<section class='_7k7 storyStream _2v9s' id='{section}'>{stories}{more}</section>"
        name = self._feed_name(feed, in_group)
        url = f"https://www.facebook.com/{'groups/' if in_group else ''}{feed}/"
        return Reply.html(self._layout(name, url, body))

    def permalink(self, post_id: str) -> Reply | None:
        post = next((p for p in self.posts if p.post_id == post_id), None)
        if post is None:
            return None
        if post.removed:
            return Reply.html(REMOVED_PAGE)
        url = (f"https://www.facebook.com/groups/{post.feed}/permalink/{post.post_id}/" if post.in_group
               else f"https://www.facebook.com/permalink.php?story_fbid={post.post_id}&id={post.feed}")
        body = f"<div id='m_story_permalink_view' data-sigil='m-story-view'>{self.article(post)}</div>"
        return Reply.html(self._layout(self._feed_name(post.feed, post.in_group), url, body))

    def _feed_name(self, feed: str, in_group: bool) -> str:
        if in_group:
            return f"Hội Mua Bán - Thanh Lý {feed[-4:]}"
        return next((p.author for p in self.corpus_posts if p.feed == feed), feed)

    @staticmethod
    def _layout(title: str, url: str, body: str) -> str:
        return (
            f"<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'><title>{escape(title)} | Facebook</title>"
            f"<meta property='og:title' content='{escape(title)}'><meta property='og:url' content='{escape(url)}'>"
            f"</head><body><div id='viewport'><div id='root' class='_59e9' role='main'>{body}</div></div></body></html>"
        )

    def article(self, post: Post) -> str:
        """One story in m.facebook.com's markup: ``data-ft`` metadata, author header, text, photos."""
        epoch = int(post.published.timestamp())
        kind = "group" if post.in_group else "page"
        data_ft = {
            "mf_story_key": post.post_id,
            "top_level_post_id": post.post_id,
            "content_owner_id_new": post.author_id,
            "page_id": post.feed,
            "story_location": 6 if post.in_group else 4,
            "page_insights": {post.feed: {
                "page_id": post.feed, "page_id_type": kind, "actor_id": post.author_id,
                "post_context": {"publish_time": epoch, "story_fbid": [post.post_id]},
            }},
        }
        local = post.published + VN
        when = f"{local.day} tháng {local.month} lúc {local:%H:%M}"
        lines = "<br />".join(escape(line) for line in post.text.split("\n"))
        photo = f"https://scontent.fsgn2-6.fna.fbcdn.net/v/t39.30808-6/{post.post_id}_1_n.jpg"
        return (
            f"<article class='_55wo _5rgr _5gh8 async_like' data-ft=\"{escape(json.dumps(data_ft))}\" "
            "data-sigil='story-div story-popup-metadata feed-ufi-metadata'><div class='story_body_container'>"
            "<header class='_7om2 _1o88 _77kd _5qc1'><h3 class='_52jd _52jb _52jg _5qc3'><strong>"
            f"<a href='{escape(post.owner_url)}'>{escape(post.author)}</a></strong></h3>"
            f"<div class='_52jc _5qc4 _78cz _24u0 _36xo'><abbr>{when}</abbr></div></header>"
            "<div class='_5rgt _5nk5 _5msi' data-ft='{\"tn\":\"*s\"}'><div><span data-sigil='expose'>"
            f"<p>{lines}</p></span></div></div><div class='_5rgu _7dc9 _27x0' data-ft='{{\"tn\":\"H\"}}'>"
            f"<a class='_26ih' href='/photos/viewer/?photoset_token=pcb.{post.post_id}&amp;refid=18'>"
            f"<img class='_5sgi img' src='{photo}' /></a></div></div>"
            "<footer class='_22rc' data-ft='{\"tn\":\"*W\"}'><div class='_52jh _7om2 _15kk'>Thích · Bình luận</div>"
            "</footer></article>"
        )


def group_ids(site: FacebookSite) -> list[str]:
    """The groups the replica serves, in corpus order (for demo jobs and tests)."""
    return list(dict.fromkeys(p.feed for p in site.corpus_posts if p.in_group))


def page_ids(site: FacebookSite) -> list[str]:
    """The pages the replica serves, in corpus order."""
    return list(dict.fromkeys(p.feed for p in site.corpus_posts if not p.in_group))

