"""The HTML + JavaScript shells of the Shopee replica's pages; the data arrives only through the page's API calls.

Each shell sets the ``SPC_F`` cookie, calls the API with Shopee's browser headers and renders the answer into
the DOM with ``textContent`` (never as HTML: listing text is hostile).
"""

from __future__ import annotations

__all__ = ["page_shell", "verify_page"]

_HEAD = """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<title>Shopee Việt Nam | Mua và Bán Trên Ứng Dụng Di Động Hoặc Website</title>
<style>body{font-family:sans-serif;margin:0;background:#f5f5f5}header{background:#ee4d2d;color:#fff;padding:12px 24px;
font-size:22px}main{padding:16px 24px}li{list-style:none;background:#fff;margin:6px 0;padding:8px}
.price{color:#ee4d2d}.muted{color:#757575;font-size:13px}</style></head>
<body><header>Shopee</header><main id="main"><h1 id="title"></h1><div id="detail"></div><ul id="items"></ul></main>
"""

_COMMON = """<script>
(function () {
  if (!/(^|; )SPC_F=/.test(document.cookie)) {
    document.cookie = "SPC_F=" + Math.random().toString(36).slice(2) + "; path=/";
  }
  var headers = {"x-api-source": "pc", "x-requested-with": "XMLHttpRequest", "x-shopee-language": "vi"};
  window.shopeeApi = function (path) {
    return fetch(path, {headers: headers, credentials: "include"}).then(function (r) { return r.json(); });
  };
  window.el = function (tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  };
  window.vnd = function (scaled) { return "₫" + Math.round(scaled / 100000).toLocaleString("vi-VN"); };
  window.card = function (b) {
    var li = el("li"), a = el("a", null, b.name);
    a.href = "/" + encodeURIComponent(b.name.replace(/[^\\p{L}\\p{N}]+/gu, "-")) + "-i." + b.shopid + "." + b.itemid;
    li.append(a, el("div", "price", vnd(b.price)), el("div", "muted", (b.shop_location || "") + " · " + b.shop_name));
    return li;
  };
  window.renderCards = function (answer) {
    var list = document.getElementById("items");
    (answer.items || []).forEach(function (it) { list.append(card(it.item_basic)); });
  };
  window.PAGE = parseInt(new URLSearchParams(location.search).get("page") || "0", 10) || 0;
  window.LIMIT = %LIMIT%;
})();
</script>
"""

_SEARCH = """<script>
(function () {
  var keyword = new URLSearchParams(location.search).get("keyword") || "";
  document.getElementById("title").textContent = "Kết quả tìm kiếm cho '" + keyword + "'";
  shopeeApi("/api/v4/search/search_items?by=relevancy&keyword=" + encodeURIComponent(keyword) + "&limit=" + LIMIT +
            "&newest=" + PAGE * LIMIT + "&order=desc&page_type=search&scenario=PAGE_GLOBAL_SEARCH&version=2")
    .then(renderCards);
})();
</script>
"""

_ITEM = """<script>
(function () {
  var m = location.pathname.match(/-i\\.(\\d+)\\.(\\d+)$/) || location.pathname.match(/^\\/product\\/(\\d+)\\/(\\d+)$/);
  shopeeApi("/api/v4/pdp/get_pc?item_id=" + m[2] + "&shop_id=" + m[1] + "&tz_offset_minutes=420&detail_level=0")
    .then(function (answer) {
      var item = answer.data && answer.data.item, shop = answer.data && answer.data.shop_detailed;
      if (!item) { document.getElementById("title").textContent = "Sản phẩm này không tồn tại"; return; }
      document.getElementById("title").textContent = item.title;
      var detail = document.getElementById("detail");
      detail.append(el("div", "price", vnd(item.price)), el("p", null, item.description));
      if (shop) detail.append(el("div", "muted", shop.name + " · " + shop.shop_location));
    });
})();
</script>
"""

_SHOP = """<script>
(function () {
  var byId = location.pathname.match(/^\\/shop\\/(\\d+)/);
  var query = byId ? "shopid=" + byId[1] : "username=" + location.pathname.split("/")[1] + "&sort_sold_out=0";
  shopeeApi("/api/v4/shop/get_shop_detail?" + query).then(function (answer) {
    var shop = answer.data;
    if (!shop) { document.getElementById("title").textContent = "Shop không tồn tại"; return; }
    document.getElementById("title").textContent = shop.name;
    document.getElementById("detail").append(
      el("div", "muted", shop.shop_location + " · " + shop.follower_count + " người theo dõi"));
    return shopeeApi("/api/v4/shop/search_items?filter_sold_out=1&limit=" + LIMIT + "&offset=" + PAGE * LIMIT +
                     "&order=desc&shopid=" + shop.shopid + "&sort_by=pop&use_case=4").then(renderCards);
  });
})();
</script>
"""

_SCRIPTS = {"search": _SEARCH, "item": _ITEM, "shop": _SHOP}

_VERIFY = """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Shopee Việt Nam</title></head>
<body><div id="main"><div class="verify-traffic"><h2>Xác minh truy cập</h2>
<p>Phát hiện lưu lượng truy cập bất thường. Vui lòng kéo thanh trượt để tiếp tục.</p>
<div id="captcha-slider" class="captcha-slider"></div></div></div></body></html>"""


def page_shell(kind: str, page_size: int) -> str:
    """The shell of a ``search``, ``item`` or ``shop`` page."""
    return _HEAD + _COMMON.replace("%LIMIT%", str(page_size)) + _SCRIPTS[kind] + "</body></html>"


def verify_page() -> str:
    """What Shopee shows at /verify/traffic: a slider to prove a human is there."""
    return _VERIFY
