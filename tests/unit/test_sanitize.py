"""Tests for review.sanitize: XSS vectors, allowed content, nh3 cross-check, properties."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import nh3
import pytest
from bleach import html5lib_shim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review.sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_PROTOCOLS,
    ALLOWED_TAGS,
    EXTERNAL_LINK_REL,
    HtmlTooComplex,
    content_hash,
    html_to_text,
    sanitize_html,
)

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

# --------------------------------------------------------------------------------------
# Helpers: parse the output the way a browser would and inspect the parsed tree.
# --------------------------------------------------------------------------------------

# html5lib as vendored by bleach (html5lib itself is not a dependency). scripting=True
# parses <noscript> as raw text, as browsers with JavaScript do.
_BROWSER_PARSER = html5lib_shim.HTMLParser(namespaceHTMLElements=False)

# Output attributes may carry: the author allow-list plus the rel the sanitizer sets.
_OUTPUT_ATTRIBUTES = {tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()}
_OUTPUT_ATTRIBUTES["a"] = _OUTPUT_ATTRIBUTES["a"] | {"rel"}

_BAD_SCHEMES = {"javascript", "vbscript", "data", "livescript", "file"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcdoc", "background", "poster"}


def _parse(html: str) -> Element:
    return _BROWSER_PARSER.parseFragment(html, scripting=True)


def _browser_scheme(value: str) -> str:
    """Scheme of a URL as a browser sees it (after entity decoding by the HTML parser).

    Deliberately more aggressive than the WHATWG URL parser: drops every control and
    whitespace character anywhere, not only tabs/newlines and the leading/trailing ones.
    """
    squeezed = re.sub(r"[\x00-\x20\x7f-\xa0\s]+", "", value)
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.\-]*):", squeezed)
    return match.group(1).lower() if match else ""


def _elements(html: str) -> list[tuple[str, dict[str, str]]]:
    """Every (tag, attributes) in the browser-parsed output; comments appear as '#comment'."""
    found = []
    for node in _parse(html).iter():
        if node.tag == "DOCUMENT_FRAGMENT":
            continue
        if not isinstance(node.tag, str):
            found.append(("#comment", {}))
            continue
        found.append((node.tag, dict(node.attrib)))
    return found


class _AttributeCollector(HTMLParser):
    """Second opinion from the stdlib tokenizer: every start tag and its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_comment(self, data: str) -> None:
        self.tags.append(("#comment", {}))


def _stdlib_elements(html: str) -> list[tuple[str, dict[str, str]]]:
    collector = _AttributeCollector()
    collector.feed(html)
    collector.close()
    return collector.tags


def assert_safe(out: str) -> None:
    """Fail if sanitized output carries anything that could run script."""
    assert "<script" not in out.lower()
    for parser_elements in (_elements(out), _stdlib_elements(out)):
        for tag, attrs in parser_elements:
            assert tag != "#comment", out
            assert not tag.startswith("{"), f"foreign (svg/math) element {tag} in {out!r}"
            assert tag in ALLOWED_TAGS, f"<{tag}> in {out!r}"
            for name, value in attrs.items():
                assert not name.lower().startswith("on"), f"{name}= in {out!r}"
                assert name in _OUTPUT_ATTRIBUTES.get(tag, set()), f"{tag}[{name}] in {out!r}"
                if name in _URL_ATTRIBUTES:
                    scheme = _browser_scheme(value)
                    assert scheme not in _BAD_SCHEMES, f"{tag}[{name}={value!r}] in {out!r}"
                    assert scheme in ALLOWED_PROTOCOLS | {""}, f"{value!r} in {out!r}"
                if tag == "img" and name == "src":
                    assert _browser_scheme(value) in {"http", "https"}, out


def _tree(html: str) -> tuple:
    """Canonical form of a fragment: nested (tag, sorted attributes, children) with merged text.

    Serialisation details (quote style, entity spelling, ``<br>`` vs ``<br/>``) vanish in
    parsing; everything that matters (elements, attributes and their values, text) stays.
    """

    def convert(node: Element) -> tuple:
        children: list = []

        def add_text(text: str | None) -> None:
            if not text:
                return
            if children and isinstance(children[-1], str):
                children[-1] += text
            else:
                children.append(text)

        add_text(node.text)
        for child in node:
            if isinstance(child.tag, str):
                children.append(convert(child))
            else:
                children.append(("#comment", child.text))
            add_text(child.tail)
        return (node.tag, tuple(sorted(node.attrib.items())), tuple(children))

    return convert(_parse(html))


def _nh3_clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes=_OUTPUT_ATTRIBUTES,
        url_schemes=set(ALLOWED_PROTOCOLS),
        link_rel=None,
        strip_comments=True,
    )


def assert_nh3_agrees(out: str) -> None:
    """nh3 (ammonia) with the same policy must find nothing left to remove."""
    assert _tree(_nh3_clean(out)) == _tree(out), out


# --------------------------------------------------------------------------------------
# Known vectors
# --------------------------------------------------------------------------------------

XSS_VECTORS = [
    # javascript: in all its disguises
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="java\rscript:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav&#9;ascript:alert(1)">x</a>',
    '<a href="jav&Tab;ascript:alert(1)">x</a>',
    '<a href="java&NewLine;script:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="javascript&#58;alert(1)">x</a>',
    '<a href="javascript&#x3a;alert(1)">x</a>',
    "<a href=javascript:alert(1)>x</a>",
    "<a href='javascript:alert(1)'>x</a>",
    '<a href="javascript\u3000:alert(1)">x</a>',
    '<a href="\u200bjavascript:alert(1)">x</a>',
    '<a href="javascript://%0aalert(1)">x</a>',
    '<a title="ok" href="javascript:alert(1)" href="http://example.com/">x</a>',
    '<img src="javascript:alert(1)">',
    '<img src=" &#106;avascript:alert(1)">',
    # data: and vbscript:
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<img src="data:image/png;base64,iVBORw0KGgo=">',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="VBScript:msgbox(1)">x</a>',
    '<a href="livescript:alert(1)">x</a>',
    # event handlers and style
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)//",
    '<img src="http://example.com/a.png" onerror="alert(1)" onload="alert(2)">',
    "<p onclick=alert(1)>x</p>",
    "<p OnMouseOver=alert(1)>x</p>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<p style="x:expression(alert(1))">x</p>',
    '<body onload="alert(1)">x</body>',
    '<a href="http://example.com/" onclick="alert(1)">x</a>',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    # svg / math / foreign content
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    '<svg><animate onbegin="alert(1)" attributeName="x" dur="1s">',
    '<svg><foreignObject><iframe src="javascript:alert(1)"></iframe></foreignObject></svg>',
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
    '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;'
    '&lt;img&Tab;src=1&Tab;onerror=alert(1)&gt;">',
    '<math href="javascript:alert(1)">x</math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    # script-bearing and raw-text elements
    "<script>alert(1)</script>",
    '<script src="http://evil.example/x.js"></script>',
    "<SCRIPT>alert(1)</SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>alert(1);//<</script>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<style>@import 'http://evil.example/x.css';</style>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<embed src="javascript:alert(1)">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<noscript><style></noscript><img src=x onerror=alert(1)>",
    "<template><script>alert(1)</script></template>",
    "<textarea></textarea><script>alert(1)</script>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<title><img src=x onerror=alert(1)></title>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<noembed><img src=x onerror=alert(1)></noembed>",
    "<noframes><img src=x onerror=alert(1)></noframes>",
    "<plaintext><img src=x onerror=alert(1)>",
    # comments
    "<!--[if IE]><script>alert(1)</script><![endif]-->",
    "<!--[if gte IE 4]><SCRIPT>alert(1);</SCRIPT><![endif]-->",
    "<![if !IE]><script>alert(1)</script><![endif]>",
    "<!-- --!><img src=x onerror=alert(1)> -->",
    "<!--><img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    # document-level tricks
    '<base href="javascript:alert(1)//">',
    '<base href="http://evil.example/">',
    '<form action="javascript:alert(1)"><input type="submit"></form>',
    '<form><button formaction="javascript:alert(1)">x</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="http://evil.example/x.css">',
    '<a href="http://example.com/" target="_blank" rel="opener">x</a>',
    "<isindex type=image src=1 onerror=alert(1)>",
    '<input autofocus onfocus="alert(1)">',
    '<details open ontoggle="alert(1)">',
    '<video><source onerror="alert(1)"></video>',
    '<img """><script>alert(1)</script>">',
    '<img src="x` `<script>alert(1)</script>"` `>',
    '<a href="http://example.com/"><img src="x" alt="&quot;onerror=alert(1)//"></a>',
    '<div title="&lt;/div&gt;&lt;script&gt;alert(1)&lt;/script&gt;">x</div>',
]


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_known_xss_vector_is_neutralised(vector: str) -> None:
    out = sanitize_html(vector)
    assert_safe(out)
    assert "<script" not in html_to_text(vector).lower()


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_nh3_finds_nothing_left_to_remove_in_known_vectors(vector: str) -> None:
    assert_nh3_agrees(sanitize_html(vector))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<script>alert(1)</script>正文", "正文"),
        ("<style>p{color:red}</style>正文", "正文"),
        ("<noscript>请开启脚本</noscript>正文", "正文"),
        ("<template><p>模板</p></template>正文", "正文"),
        ("<textarea><b>输入</b></textarea>正文", "正文"),
        ("<title>标题</title>正文", "正文"),
        ("<xmp><b>x</b></xmp>正文", "正文"),
        ("<iframe>框架</iframe>正文", "正文"),
        ("<svg><text>图形</text></svg>正文", "正文"),
        ("<math><mi>x</mi></math>正文", "正文"),
        ("<!-- 注释 -->正文", "正文"),
        ("<p>前<script>var a = '</p>';</script>后</p>", "<p>前后</p>"),
        ("<svg><script>alert(1)</script><p>正文</p>", "<p>正文</p>"),
    ],
)
def test_content_of_code_and_raw_text_elements_is_dropped(source: str, expected: str) -> None:
    assert sanitize_html(source) == expected


def test_bad_link_keeps_its_text_but_loses_href() -> None:
    out = sanitize_html('<p><a href="javascript:alert(1)" title="链接">点击</a></p>')
    assert out == '<p><a title="链接">点击</a></p>'


def test_img_src_must_be_absolute_http() -> None:
    assert sanitize_html('<img src="/static/a.png" alt="相对">') == '<img alt="相对">'
    assert sanitize_html('<img src="//cdn.example/a.png">') == "<img>"
    assert sanitize_html('<img src="mailto:a@b.cn">') == "<img>"
    kept = sanitize_html('<img src="HTTPS://cdn.example/a.png">')
    assert kept == '<img src="HTTPS://cdn.example/a.png">'


@pytest.mark.parametrize(
    "href",
    [
        "http://example.com/",
        "https://例子.中国/路径?q=科普&x=1",
        "mailto:kepu@example.org",
        "/a/b",
        "#sec2",
    ],
)
def test_safe_hrefs_are_kept(href: str) -> None:
    out = sanitize_html(f'<a href="{href}">x</a>')
    [(tag, attrs)] = _elements(out)
    assert tag == "a"
    assert attrs["href"] == href


def test_external_links_get_rel_and_author_rel_is_replaced() -> None:
    out = sanitize_html('<a href="https://example.com/" rel="opener" target="_blank">x</a>')
    assert _elements(out) == [("a", {"href": "https://example.com/", "rel": EXTERNAL_LINK_REL})]
    assert _elements(sanitize_html('<a href="//example.com/">x</a>'))[0][1]["rel"] == (
        EXTERNAL_LINK_REL
    )
    for internal in ('<a href="/articles/1">x</a>', '<a href="mailto:a@b.cn">x</a>', "<a>x</a>"):
        assert "rel" not in _elements(sanitize_html(internal))[0][1]


# --------------------------------------------------------------------------------------
# Allowed content survives
# --------------------------------------------------------------------------------------

ARTICLE = """\
<h1>科学辟谣：隔夜菜真的会致癌吗？</h1>
<p>近日，一则“<strong>隔夜菜</strong>致癌”的消息在社交媒体上广泛传播。中国营养学会的专家指出，\
关键在于<em>储存方式</em>与<u>亚硝酸盐</u>含量，而不是“隔夜”本身。</p>
<h2>一、亚硝酸盐从哪里来？</h2>
<ol>
<li>蔬菜中的硝酸盐在细菌作用下转化为亚硝酸盐；</li>
<li>温度越高、时间越长，转化越多（H<sub>2</sub>O 不参与反应，NO<sub>3</sub><sup>−</sup> 才是来源）。</li>
</ol>
<ul><li><b>冷藏</b>保存</li><li><i>尽快</i>食用</li><li><s>反复加热</s>没有帮助</li></ul>
<figure><img src="https://kepu.example.cn/img/fridge.png" alt="冰箱冷藏示意图" title="示意图" \
width="640" height="360"><figcaption>图1 冷藏可以减缓细菌繁殖</figcaption></figure>
<table>
<thead><tr><th colspan="2">不同储存条件下的亚硝酸盐含量（mg/kg）</th></tr></thead>
<tbody><tr><td>室温 24 小时</td><td>8.2</td></tr><tr><td rowspan="1">冷藏 24 小时</td><td>3.1</td></tr></tbody>
<tfoot><tr><td colspan="2">数据来源：示例实验</td></tr></tfoot>
</table>
<blockquote><p>“剩菜只要冷藏得当，适量食用是安全的。”——营养学专家</p></blockquote>
<h3>计算示例</h3>
<pre><code>含量 = 质量 / 体积
if 含量 &gt; 限值: 提醒()</code></pre>
<p>详见<a href="https://www.example.org/report?id=1&amp;lang=zh" title="报告全文">研究报告</a>，\
或发邮件至<a href="mailto:kepu@example.org">科普编辑部</a>。</p>
<hr>
<h4>参考</h4><h5>附注</h5><h6>版权</h6>
<p>第一行<br>第二行</p>
"""


def test_realistic_chinese_article_survives() -> None:
    out = sanitize_html(ARTICLE)
    assert_safe(out)
    tags = [tag for tag, _ in _elements(out)]
    for tag in ALLOWED_TAGS:
        assert tag in tags, f"<{tag}> lost"
    attrs = dict(_elements(out))
    assert attrs["img"] == {
        "src": "https://kepu.example.cn/img/fridge.png",
        "alt": "冰箱冷藏示意图",
        "title": "示意图",
        "width": "640",
        "height": "360",
    }
    assert attrs["th"] == {"colspan": "2"}
    links = [a for tag, a in _elements(out) if tag == "a"]
    assert links == [
        {
            "href": "https://www.example.org/report?id=1&lang=zh",
            "title": "报告全文",
            "rel": EXTERNAL_LINK_REL,
        },
        {"href": "mailto:kepu@example.org"},
    ]
    # Nothing but the added rel differs from the input tree.
    assert _tree(out.replace(f' rel="{EXTERNAL_LINK_REL}"', "")) == _tree(ARTICLE.strip())


def test_chinese_text_is_not_escaped() -> None:
    out = sanitize_html(ARTICLE)
    assert "隔夜菜真的会致癌吗？" in out
    assert "“剩菜只要冷藏得当，适量食用是安全的。”——营养学专家" in out
    assert "&#" not in out
    assert "图1 冷藏可以减缓细菌繁殖" in out


def test_clean_article_is_unchanged() -> None:
    clean = '<h2>标题</h2>\n<p>正文<strong>重点</strong>，<a href="/x">内链</a>。</p>'
    assert sanitize_html(clean) == clean


def test_disallowed_tags_are_stripped_not_escaped() -> None:
    assert sanitize_html("<div>文字</div>") == "文字"
    out = sanitize_html('<div class="x"><span style="color:red">红</span><font>字</font></div>')
    assert out == "红字"
    assert "&lt;" not in sanitize_html("<section><article><p>段落</p></article></section>")


def test_text_that_looks_like_markup_stays_escaped() -> None:
    assert (
        sanitize_html("<p>a &lt; b &amp;&amp; c &gt; d</p>")
        == "<p>a &lt; b &amp;&amp; c &gt; d</p>"
    )
    assert sanitize_html("1 < 2") == "1 &lt; 2"


def test_attribute_with_quote_and_entity_is_stable() -> None:
    # bleach 6.4.0 alone re-escapes entities in a value it quotes with ' (&lt; -> &amp;lt;).
    source = """<a title='他说"你好" &amp; 再见 &lt;b&gt;'>x</a>"""
    out = sanitize_html(source)
    assert _elements(out) == [("a", {"title": '他说"你好" & 再见 <b>'})]
    assert sanitize_html(out) == out


@pytest.mark.parametrize("source", ["<pre>\n\n\nx</pre>", "<pre><span>\n\nx</span></pre>"])
def test_leading_newlines_in_pre_do_not_break_idempotence(source: str) -> None:
    out = sanitize_html(source)
    assert out == "<pre>x</pre>"
    assert sanitize_html(out) == out


def test_empty_input() -> None:
    assert sanitize_html("") == ""
    assert html_to_text("") == ""


def test_moderately_nested_input_is_flattened() -> None:
    out = sanitize_html("<div>" * 200 + "深" + "</div>" * 200)
    assert out == "深"


@pytest.mark.parametrize(
    "html",
    ["<div>" * 3000 + "深" + "</div>" * 3000, "<b>" * 20000, "<ul><li>" * 5000],
)
def test_pathological_nesting_is_refused_quickly(html: str) -> None:
    started = time.perf_counter()
    with pytest.raises(HtmlTooComplex):
        sanitize_html(html)
    assert time.perf_counter() - started < 2  # the parse itself takes 10+ s on such input


def test_many_unclosed_paragraphs_are_not_deep() -> None:
    out = sanitize_html("<p>段落" * 2000)
    assert out.count("<p>") == 2000


def test_sanitizer_is_safe_to_share_between_threads() -> None:
    inputs = [ARTICLE, *XSS_VECTORS] * 4
    expected = [sanitize_html(source) for source in inputs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(sanitize_html, inputs)) == expected


def test_module_does_not_import_flask() -> None:
    code = "import sys, review.sanitize; assert 'flask' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------------------
# html_to_text and content_hash
# --------------------------------------------------------------------------------------


def test_html_to_text_puts_blocks_on_lines_and_unescapes() -> None:
    text = html_to_text(ARTICLE)
    lines = text.split("\n")
    assert lines[0] == "科学辟谣：隔夜菜真的会致癌吗？"
    assert "蔬菜中的硝酸盐在细菌作用下转化为亚硝酸盐；" in lines
    assert "冷藏 保存" not in text and "冷藏保存" in lines
    assert "室温 24 小时 8.2" in lines
    assert "if 含量 > 限值: 提醒()" in lines
    assert "第一行" in lines and "第二行" in lines
    assert "<" not in text.replace("if 含量 > 限值", "")
    assert "&" not in text


def test_html_to_text_tidies_whitespace() -> None:
    assert html_to_text("<p>  多个\n\n  空白\t字符  </p>\n\n<p>\u3000\u3000缩进</p>") == (
        "多个 空白 字符\n缩进"
    )
    assert html_to_text("<pre>  缩进\n    保留  </pre>") == "  缩进\n    保留"


def test_html_to_text_drops_script_content() -> None:
    assert html_to_text("<p>正文</p><script>alert('<script>')</script>") == "正文"


def test_html_to_text_is_plain_text_not_html() -> None:
    # An article about web security may literally mention a tag: plain text keeps it.
    # Whoever puts plain text back into HTML must escape it (Jinja autoescape does).
    assert html_to_text("<p>&lt;script&gt; 标签</p>") == "<script> 标签"


def test_content_hash_is_sha256_of_canonical_form() -> None:
    digest = content_hash("标题", "<p>正文</p>")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == content_hash("标题", "<p>正文</p>")
    assert digest != hashlib.sha256("标题<p>正文</p>".encode()).hexdigest()


def test_content_hash_ignores_what_sanitizing_and_normalising_remove() -> None:
    digest = content_hash("标题", "<p>正文</p>")
    assert content_hash("  标题\r\n", "<p>正文</p><script>x()</script>\n") == digest
    assert content_hash("标题", '<p onclick="x()">正文</p><!-- c -->') == digest
    nfd = unicodedata.normalize("NFD", "Café")
    assert content_hash(nfd, "<p>é</p>") == content_hash("Café", "<p>\u00e9</p>")


def test_content_hash_changes_with_title_body_and_boundary() -> None:
    digest = content_hash("标题", "<p>正文</p>")
    assert content_hash("标题二", "<p>正文</p>") != digest
    assert content_hash("标题", "<p>正文。</p>") != digest
    assert content_hash("标题", "<p><b>正文</b></p>") != digest
    assert content_hash("ab", "c") != content_hash("a", "bc")


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------

_TAG_NAMES = sorted(ALLOWED_TAGS) + [
    "script", "style", "svg", "math", "mtext", "mglyph", "iframe", "object", "embed",
    "noscript", "template", "textarea", "title", "xmp", "noembed", "div", "span", "form",
    "input", "button", "base", "meta", "link", "select", "option", "body", "html", "head",
    "foreignObject", "desc", "SCRIPT", "Img",
]  # fmt: skip
_ATTRIBUTE_NAMES = [
    "href", "src", "title", "alt", "width", "height", "colspan", "rowspan", "rel", "style",
    "onerror", "onload", "onclick", "OnMouseOver", "srcdoc", "action", "formaction",
    "xlink:href", "data", "target", "class", "id", "background", "content", "http-equiv",
]  # fmt: skip
_ATTRIBUTE_VALUES = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", " javascript:x",
    "&#106;avascript:alert(1)", "jav&#x09;ascript:alert(1)", "javascript&colon;alert(1)",
    "\x01javascript:x", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
    "http://example.com/a?b=1&c=2", "https://例子.cn/图.png", "HTTPS://EXAMPLE.COM/",
    "mailto:kepu@example.org", "/relative/path", "#anchor", "//example.com/x", "x",
    "alert(1)", "</noscript><img src=x onerror=alert(1)>", '"><script>alert(1)</script>',
    "' onerror='alert(1)", "0;url=javascript:alert(1)", "100", "2", "科普", "",
]  # fmt: skip
# Text without any way of spelling "<" (html_to_text decodes entities, by design).
_PLAIN_TEXT = [
    "科普", "水是由氢和氧组成的。", " ", "\n", "\u3000", "\t", "x > y", "&amp;", "&nbsp;",
    "Tom & Jerry", "alert(1)", '"', "'", "=", "&copy;", "&#20013;", "script",
]  # fmt: skip
_HOSTILE_TEXT = [
    "a < b", "&lt;", "&lt;script&gt;alert(1)&lt;/script&gt;", "&#x3c;img src=x onerror=alert(1)&#x3e;",
    "<", "</", "<!", "<?", "&", "&#", "&#x", "\x00", "\x0b", "\ufeff", "\u202e",
]  # fmt: skip
_RAW_FRAGMENTS = [
    "<!-- 注释 -->", "<!--[if IE]><script>alert(1)</script><![endif]-->", "</p>", "</table>",
    '<p title="</noscript><img src=x onerror=alert(1)>">', "<![CDATA[<script>x</script>]]>",
    "<img src=x onerror=alert(1)//", "<a href=\"", '">', "<br/>", "<hr>", "</svg>", "</math>",
    "<script>alert(1)</script>", "<style>*{}</style>", "<svg onload=alert(1)>", "<math>",
    "<noscript>", "</noscript>", "<textarea>", "</textarea>", "<plaintext>",
]  # fmt: skip


def _render_attribute(name: str, value: str, quote: str) -> str:
    if quote == "":
        return f" {name}={value.replace(' ', '')}" if value else f" {name}"
    escaped = value.replace(quote, "&quot;" if quote == '"' else "&#39;")
    return f" {name}={quote}{escaped}{quote}"


def _fragments(*, hostile_text: bool) -> st.SearchStrategy[str]:
    text = st.sampled_from(_PLAIN_TEXT + (_HOSTILE_TEXT if hostile_text else []))
    leaves = text | st.sampled_from(_RAW_FRAGMENTS) if hostile_text else text
    attribute = st.builds(
        _render_attribute,
        st.sampled_from(_ATTRIBUTE_NAMES),
        st.sampled_from(_ATTRIBUTE_VALUES),
        st.sampled_from(['"', "'", ""]),
    )

    def element(children: st.SearchStrategy[list[str]]) -> st.SearchStrategy[str]:
        return st.builds(
            lambda tag, attrs, inner, close: (
                f"<{tag}{''.join(attrs)}>{''.join(inner)}" + (f"</{tag}>" if close else "")
            ),
            st.sampled_from(_TAG_NAMES),
            st.lists(attribute, max_size=3),
            children,
            st.booleans(),
        )

    tree = st.recursive(leaves, lambda inner: element(st.lists(inner, max_size=4)), max_leaves=20)
    return st.lists(tree, min_size=1, max_size=5).map("".join)


_MARKUP_ALPHABET = st.sampled_from(
    list("<>/=\"' &;#:!-?\n\tabcdeijlmnoprstvx()1") + ["科", "普", "\u3000", "\x00"]
)
_SOUP = st.text(alphabet=_MARKUP_ALPHABET, max_size=80)
_ANY_HTML = _fragments(hostile_text=True) | _SOUP

_PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@_PROPERTY_SETTINGS
@given(_ANY_HTML)
def test_output_never_carries_script(source: str) -> None:
    assert_safe(sanitize_html(source))


@_PROPERTY_SETTINGS
@given(_ANY_HTML)
def test_nh3_finds_nothing_left_to_remove(source: str) -> None:
    assert_nh3_agrees(sanitize_html(source))


@_PROPERTY_SETTINGS
@given(_ANY_HTML)
def test_sanitize_is_idempotent(source: str) -> None:
    once = sanitize_html(source)
    assert sanitize_html(once) == once


@_PROPERTY_SETTINGS
@given(_fragments(hostile_text=False))
def test_html_to_text_never_contains_script(source: str) -> None:
    text = html_to_text(source)
    assert "<script" not in text.lower()
