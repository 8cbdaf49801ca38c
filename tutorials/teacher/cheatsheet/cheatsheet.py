#!/usr/bin/env python3
"""Draws the course's one-page cheat sheet (A4 at 150 dpi) in English or Chinese.

Usage: cheatsheet.py en|zh OUT.png   (make.sh runs both; see its header for what to install)
"""
import glob
import math
import sys

from PIL import Image, ImageDraw, ImageFont

W, H = 1240, 1754  # A4 at 150 dpi
MARGIN = 60


def find_font(mono, bold=False):
    """The Noto CJK collection face for Simplified Chinese (covers Latin too)."""
    name = "Noto Sans Mono CJK SC" if mono else "Noto Sans CJK SC"
    pattern = "NotoSansCJK-Bold.ttc" if bold and not mono else "NotoSansCJK-Regular.ttc"
    for path in glob.glob("/usr/share/fonts/**/" + pattern, recursive=True):
        for index in range(10):
            try:
                font = ImageFont.truetype(path, 12, index=index)
            except OSError:
                break
            if font.getname()[0] == name:
                return path, index
    sys.exit(f"font {name} not found: install fonts-noto-cjk (see make.sh)")


# The calls of the course: (signature, note). Signatures are libevent 2.1's.
CALLS = [
    ("struct event_base *event_base_new(void);", None),
    ("struct event *event_new(struct event_base *base, evutil_socket_t fd,", None),
    ("        short what, event_callback_fn cb, void *arg);", "what"),
    ("void cb(evutil_socket_t fd, short what, void *arg);", None),
    ("int event_add(struct event *ev, const struct timeval *tv);", "add"),
    ("int event_del(struct event *ev);", "del"),
    ("void event_free(struct event *ev);", "free"),
    ("int event_base_dispatch(struct event_base *base);", "dispatch"),
    ("void event_base_free(struct event_base *base);", None),
    ("struct bufferevent *bufferevent_socket_new(struct event_base *base,", None),
    ("        evutil_socket_t fd, int options);  /* BEV_OPT_CLOSE_ON_FREE */", None),
    ("void bufferevent_setcb(struct bufferevent *bev, bufferevent_data_cb readcb,", None),
    ("        bufferevent_data_cb writecb, bufferevent_event_cb eventcb, void *arg);", None),
    ("int bufferevent_enable(struct bufferevent *bev, short event);", "enable"),
    ("int bufferevent_write(struct bufferevent *bev, const void *data, size_t n);", "write"),
    ("size_t bufferevent_read(struct bufferevent *bev, void *data, size_t n);", "read"),
    ("struct evbuffer *bufferevent_get_input(bev) / bufferevent_get_output(bev);", None),
    ("int bufferevent_socket_connect(struct bufferevent *bev,", None),
    ("        const struct sockaddr *sa, int socklen);", "connect"),
    ("void bufferevent_free(struct bufferevent *bev);", "bfree"),
    ("struct evconnlistener *evconnlistener_new_bind(struct event_base *base,", None),
    ("        evconnlistener_cb cb, void *arg, unsigned flags, int backlog,", None),
    ("        const struct sockaddr *sa, int socklen);", "listen"),
    ("void listener_cb(struct evconnlistener *l, evutil_socket_t fd,", None),
    ("        struct sockaddr *addr, int socklen, void *arg);", None),
    ("void bufferevent_setwatermark(bev, short events, size_t low, size_t high);", None),
    ("int shutdown(int fd, SHUT_WR);   /* half-close: stop sending, keep reading */", None),
]

TEXT = {
    "en": {
        "title": "libevent 2.1 · evscope — cheat sheet",
        "sub": "gcc prog.c -o prog -levent        evscope run -- ./prog        evscope demo timer --step",
        "calls": "The calls of the course",
        "notes": {
            "what": "what: EV_READ | EV_WRITE | EV_PERSIST | EV_TIMEOUT | EV_SIGNAL",
            "add": "tv = NULL: no timeout; a pending event's timeout is replaced",
            "del": "non-pending; the event can be added again",
            "free": "deletes if needed and releases: never use ev again",
            "dispatch": "runs until no event is pending or active (or loopexit / loopbreak)",
            "enable": "default after _socket_new: only EV_WRITE — enable EV_READ yourself!",
            "write": "copies into the output buffer; the loop sends it later",
            "read": "takes bytes out of the input buffer (FIFO, read once)",
            "connect": "finishes in the loop: event cb gets BEV_EVENT_CONNECTED or _ERROR",
            "bfree": "no bufferevent_socket_free; unsent output is lost",
            "listen": "LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE; backlog -1 = default (128)",
        },
        "events": "Event callback flags: BEV_EVENT_READING | _WRITING with _EOF | _ERROR | _TIMEOUT; BEV_EVENT_CONNECTED",
        "states": "The life of an event (state diagram)",
        "st": ["new", "pending", "active", "callback", "non-pending", "freed"],
        "arrows": ["event_add", "fd ready / timeout / signal", "loop runs it",
                   "returns (no PERSIST)", "EV_PERSIST", "event_add", "event_del", "event_free (any state)"],
        "keys": "Dashboard keys",
        "keylist": [
            ("space", "pause / resume"), ("n  →", "one record forward"), ("p  ←", "one record back"),
            ("]", "next loop iteration"), ("b", "breakpoint on selected event"),
            ("Tab", "next panel"), ("↑ ↓", "select a row"), ("Enter", "event's history (Esc)"),
            ("l", "English / 中文"), ("B", "next event base"), ("?", "help"), ("q", "quit"),
        ],
    },
    "zh": {
        "title": "libevent 2.1 · evscope 速查表",
        "sub": "gcc prog.c -o prog -levent        evscope run -- ./prog        evscope demo timer --step --lang zh",
        "calls": "课程中的函数",
        "notes": {
            "what": "what：EV_READ | EV_WRITE | EV_PERSIST | EV_TIMEOUT | EV_SIGNAL",
            "add": "tv 为 NULL：没有超时；对未决事件再次 add 会替换超时",
            "del": "变为非未决；之后还可以再次 event_add",
            "free": "必要时先删除再释放：之后不能再使用 ev",
            "dispatch": "运行到没有未决或激活的事件为止（或 loopexit / loopbreak）",
            "enable": "_socket_new 之后默认只启用 EV_WRITE——读要自己启用！",
            "write": "只是复制进写缓冲区，由事件循环稍后发送",
            "read": "从读缓冲区取出数据（先进先出，只能读一次）",
            "connect": "在事件循环中完成：事件回调收到 BEV_EVENT_CONNECTED 或 _ERROR",
            "bfree": "没有 bufferevent_socket_free；写缓冲区里未发送的数据会丢失",
            "listen": "LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE；backlog -1 = 合理默认值（128）",
        },
        "events": "事件回调的标志：BEV_EVENT_READING | _WRITING 加 _EOF | _ERROR | _TIMEOUT；BEV_EVENT_CONNECTED",
        "states": "事件的一生（状态机）",
        "st": ["新事件", "未决", "激活", "回调执行中", "非未决", "已释放"],
        "arrows": ["event_add", "fd 就绪 / 超时 / 信号", "事件循环调用", "回调返回（无 PERSIST）",
                   "EV_PERSIST", "event_add", "event_del", "event_free（任何状态）"],
        "keys": "仪表盘按键",
        "keylist": [
            ("space", "暂停 / 继续"), ("n  →", "前进一条记录"), ("p  ←", "后退一条记录"),
            ("]", "下一轮事件循环"), ("b", "在选中的事件上设断点"),
            ("Tab", "下一个面板"), ("↑ ↓", "选择一行"), ("Enter", "事件的历史（Esc 关闭）"),
            ("l", "English / 中文"), ("B", "下一个 event base"), ("?", "帮助"), ("q", "退出"),
        ],
    },
}

INK, GREY, ACCENT, BOX = (20, 20, 20), (90, 90, 90), (0, 90, 170), (235, 242, 250)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in TEXT:
        sys.exit("usage: cheatsheet.py en|zh OUT.png")
    t = TEXT[sys.argv[1]]
    sans, sans_i = find_font(False)
    bold, bold_i = find_font(False, bold=True)
    mono, mono_i = find_font(True)
    f_title = ImageFont.truetype(bold, 40, index=bold_i)
    f_head = ImageFont.truetype(bold, 27, index=bold_i)
    f_text = ImageFont.truetype(sans, 19, index=sans_i)
    f_code = ImageFont.truetype(mono, 17, index=mono_i)
    f_note = ImageFont.truetype(sans, 16, index=sans_i)
    f_state = ImageFont.truetype(bold, 21, index=bold_i)

    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    y = MARGIN
    d.text((MARGIN, y), t["title"], font=f_title, fill=INK)
    y += 58
    d.text((MARGIN, y), t["sub"], font=f_code, fill=GREY)
    y += 40

    d.text((MARGIN, y), t["calls"], font=f_head, fill=ACCENT)
    y += 42
    for sig, note in CALLS:
        d.text((MARGIN, y), sig, font=f_code, fill=INK)
        y += 23
        if note:
            d.text((MARGIN + 40, y), "→ " + t["notes"][note], font=f_note, fill=ACCENT)
            y += 23
    y += 6
    d.text((MARGIN, y), t["events"], font=f_note, fill=INK)
    y += 40

    # State diagram: new → pending → active → callback, callback → non-pending / pending.
    d.text((MARGIN, y), t["states"], font=f_head, fill=ACCENT)
    y += 128
    st, ar = t["st"], t["arrows"]
    bw, bh = 160, 52
    step = (W - 2 * MARGIN - bw) // 3
    xs = [MARGIN + i * step for i in range(4)]
    row1 = y

    def box(x, yy, label):
        d.rounded_rectangle((x, yy, x + bw, yy + bh), radius=12, fill=BOX, outline=ACCENT, width=3)
        tw = d.textlength(label, font=f_state)
        d.text((x + (bw - tw) / 2, yy + 12), label, font=f_state, fill=INK)

    def arrow(x1, y1, x2, y2, label, above=True):
        d.line((x1, y1, x2, y2), fill=INK, width=3)
        # arrow head
        a = math.atan2(y2 - y1, x2 - x1)
        for s in (0.45, -0.45):
            d.line((x2, y2, x2 - 16 * math.cos(a + s), y2 - 16 * math.sin(a + s)), fill=INK, width=3)
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        # A label wider than the gap is split at " / " onto lines stacked above the arrow.
        lines = [label]
        if d.textlength(label, font=f_note) > abs(x2 - x1) and " / " in label:
            lines = label.split(" / ")
            lines = [ln + (" /" if i < len(lines) - 1 else "") for i, ln in enumerate(lines)]
        for i, line in enumerate(lines):
            tw = d.textlength(line, font=f_note)
            ly = my - 24 * (len(lines) - i) if above else my + 6 + 22 * i
            lx = mx - tw / 2 if above else mx + 14  # below: right of a sloping arrow
            d.text((lx, ly), line, font=f_note, fill=GREY)

    for i in range(4):
        box(xs[i], row1, st[i])
    for i, lab in zip(range(3), ar[:3]):
        arrow(xs[i] + bw + 4, row1 + bh / 2, xs[i + 1] - 4, row1 + bh / 2, lab)
    row2 = row1 + 150
    box(xs[2], row2, st[4])  # non-pending under active
    box(xs[3], row2, st[5])  # freed under callback
    # callback → non-pending (returns, no PERSIST)
    arrow(xs[3] + 20, row1 + bh + 4, xs[2] + bw - 20, row2 - 4, ar[3], above=False)
    # callback → pending (PERSIST): a line over the top
    top = row1 - 80
    d.line((xs[3] + bw / 2, row1, xs[3] + bw / 2, top), fill=INK, width=3)
    d.line((xs[3] + bw / 2, top, xs[1] + bw / 2, top), fill=INK, width=3)
    arrow(xs[1] + bw / 2, top, xs[1] + bw / 2, row1 - 4, "")
    tw = d.textlength(ar[4], font=f_note)
    d.rectangle((xs[2] + bw / 2 - tw / 2 - 6, top - 12, xs[2] + bw / 2 + tw / 2 + 6, top + 12), fill="white")
    d.text((xs[2] + bw / 2 - tw / 2, top - 11), ar[4], font=f_note, fill=GREY)
    # non-pending → pending (event_add)
    arrow(xs[2] - 4, row2 + bh / 2, xs[1] + bw / 2, row1 + bh + 4, "", above=False)
    d.text((xs[1] + 40, row2 + bh / 2 - 10), ar[5], font=f_note, fill=GREY)
    # pending / active → non-pending (event_del)
    d.text((xs[0], row2 + 2), "event_del: " + st[1] + " / " + st[2] + " → " + st[4], font=f_note, fill=INK)
    d.text((xs[0], row2 + 28), ar[7] + " → " + st[5], font=f_note, fill=INK)
    y = row2 + bh + 44

    d.text((MARGIN, y), t["keys"], font=f_head, fill=ACCENT)
    y += 44
    col_w = (W - 2 * MARGIN) // 3
    rows = (len(t["keylist"]) + 2) // 3
    for i, (k, what) in enumerate(t["keylist"]):
        cx = MARGIN + (i // rows) * col_w
        cy = y + (i % rows) * 34
        d.rounded_rectangle((cx, cy, cx + 80, cy + 28), radius=6, outline=INK, width=2)
        kw = d.textlength(k, font=f_code)
        d.text((cx + (80 - kw) / 2, cy + 3), k, font=f_code, fill=INK)
        d.text((cx + 92, cy + 2), what, font=f_text, fill=INK)
    y += rows * 34 + 10
    if y > H - MARGIN:
        sys.exit(f"the sheet does not fit one page ({y} > {H - MARGIN} px)")
    img.save(sys.argv[2], dpi=(150, 150))


if __name__ == "__main__":
    main()
