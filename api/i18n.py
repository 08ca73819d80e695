"""The pages' two languages, Chinese and English: chosen by the ``lang`` cookie (set by
the switcher), else by the browser's Accept-Language, else English."""

from __future__ import annotations

from starlette.requests import Request

LANGUAGES = ("zh", "en")
LANG_COOKIE = "hotline_lang"

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "app": "Hotline", "login": "Sign in", "logout": "Sign out", "username": "User name", "password": "Password",
        "login_failed": "Wrong user name or password.", "login_throttled": "Too many failed attempts. Try again in {seconds} s.",
        "csrf_failed": "The form expired. Please try again.", "wallboard": "Wallboard", "calls": "Calls", "language": "中文",
        "waiting": "Waiting", "longest_wait": "Longest wait", "service_level": "Service level", "answer_rate": "Answer rate",
        "abandoned": "Abandoned", "today": "today", "available": "Available", "on_call": "On call", "paused": "Paused",
        "ringing": "Ringing", "unavailable": "Unavailable", "agents": "Agents", "feed_live": "Live", "feed_lost": "Live feed lost — reconnecting…",
        "bridge_down": "PBX {server} not connected", "no_queues": "No queue activity yet.", "recent_calls": "Recent calls",
        "since": "From", "until": "To", "queue": "Queue", "agent": "Agent", "disposition": "Outcome", "caller": "Caller",
        "any": "any", "filter": "Filter", "started_at": "Started", "wait": "Wait", "talk": "Talk", "ivr_digits": "IVR keys",
        "next_page": "Next page", "no_calls": "No calls match.", "call": "Call", "timeline": "Timeline", "legs": "Channels", "ivr_path": "IVR path", "node": "Node", "keys": "Keys", "outcome": "Outcome",
        "server": "PBX", "direction": "Direction", "answered_at": "Answered", "ended_at": "Ended", "transfers": "Transfers",
        "hold": "Hold", "event": "Event", "details": "Details", "channel": "Channel", "role": "Role", "cause": "Cause",
        "back": "Back to calls", "forbidden": "Your role may not open this page.", "not_found": "Not found.",
        "signed_in_as": "Signed in as", "answered": "answered", "exited": "exited", "ivr_only": "IVR only", "outbound": "outbound", "failed": "failed",
        "joined": "joined", "started": "started", "ended": "ended", "seconds": "s",
    },
    "zh": {
        "app": "热线", "login": "登录", "logout": "退出", "username": "用户名", "password": "密码",
        "login_failed": "用户名或密码错误。", "login_throttled": "失败次数过多，请 {seconds} 秒后再试。",
        "csrf_failed": "表单已过期，请重试。", "wallboard": "监控大屏", "calls": "通话记录", "language": "English",
        "waiting": "排队等待", "longest_wait": "最长等待", "service_level": "服务水平", "answer_rate": "接通率",
        "abandoned": "放弃", "today": "今日", "available": "空闲", "on_call": "通话中", "paused": "暂停",
        "ringing": "振铃", "unavailable": "不可用", "agents": "坐席", "feed_live": "实时", "feed_lost": "实时连接中断，正在重连…",
        "bridge_down": "交换机 {server} 未连接", "no_queues": "暂无队列动态。", "recent_calls": "最近通话",
        "since": "开始时间", "until": "结束时间", "queue": "队列", "agent": "坐席", "disposition": "结果", "caller": "来电号码",
        "any": "全部", "filter": "筛选", "started_at": "开始", "wait": "等待", "talk": "通话", "ivr_digits": "按键",
        "next_page": "下一页", "no_calls": "没有符合条件的通话。", "call": "通话", "timeline": "时间线", "legs": "通道", "ivr_path": "语音导航路径", "node": "节点", "keys": "按键", "outcome": "结果",
        "server": "交换机", "direction": "方向", "answered_at": "接听", "ended_at": "结束", "transfers": "转接",
        "hold": "保持", "event": "事件", "details": "详情", "channel": "通道", "role": "角色", "cause": "挂断原因",
        "back": "返回通话记录", "forbidden": "您的角色无权打开此页面。", "not_found": "未找到。",
        "signed_in_as": "当前用户", "answered": "已接通", "exited": "已退出", "ivr_only": "仅语音导航", "outbound": "外呼", "failed": "失败",
        "joined": "进入队列", "started": "来电", "ended": "结束", "seconds": "秒",
    },
}


def _from_accept_language(header: str) -> str | None:
    choices = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, index, primary))
    return min(choices)[2] if choices else None


def language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return _from_accept_language(request.headers.get("accept-language", "")) or "en"


def translator(lang: str):
    messages = MESSAGES[lang]

    def t(key: str, **values: object) -> str:
        text = messages.get(key) or MESSAGES["en"].get(key) or key
        return text.format(**values) if values else text

    return t
