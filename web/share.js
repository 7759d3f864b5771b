"use strict";

// The recorder's "Share captions" dialog (PROTOCOL.md, HTTP): the viewer link of the
// current meeting and its QR code, and withdrawing the link for a new one. The QR code is
// an SVG from our own server, fetched with the access token; the page's CSP allows no
// blob: images, so it is parsed with DOMParser, cleaned and imported as nodes.

const SHARE_LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

// An authenticated request to our own API; throws an Error with the server's reason.
async function casenoteRequest(token, method, path, { json = null, as = "json" } = {}) {
  const headers = { Authorization: `Bearer ${token}` };
  if (json !== null) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: json === null ? undefined : JSON.stringify(json),
    cache: "no-store",
  });
  if (!response.ok) {
    let why = `the server answered ${response.status}`;
    try {
      why = (await response.json()).error || why;
    } catch {
      // not JSON: keep the status
    }
    throw new Error(why);
  }
  return as === "text" ? response.text() : response.json();
}

class ShareDialog {
  // dialog: the <dialog>; opener: the "Share captions" button; token: () => access token.
  constructor({ dialog, opener, token }) {
    this.dialog = dialog;
    this.opener = opener;
    this.token = token;
    this.meetingId = null;
    const part = (id) => dialog.querySelector(`#${id}`);
    this.link = part("share-link");
    this.qr = part("share-qr");
    this.expiry = part("share-expiry");
    this.local = part("share-local");
    this.feedback = part("share-feedback");
    this.revokeButton = part("share-revoke");
    part("share-copy").addEventListener("click", () => this.copy());
    part("share-close").addEventListener("click", () => dialog.close());
    this.revokeButton.addEventListener("click", () => this.revoke());
    this.link.addEventListener("focus", () => this.link.select());
    dialog.addEventListener("close", () => {
      if (!opener.disabled) opener.focus();
    });
    opener.addEventListener("click", () => this.open());
    opener.disabled = true;
  }

  // The meeting whose link the dialog shows; null while there is none.
  setMeeting(meetingId) {
    if (meetingId === this.meetingId) return;
    this.meetingId = meetingId;
    this.opener.disabled = !meetingId;
    if (!meetingId && this.dialog.open) this.dialog.close();
  }

  path(action) {
    return `/v1/meetings/${encodeURIComponent(this.meetingId)}/${action}`;
  }

  async open() {
    if (!this.meetingId) return;
    this.feedback.textContent = "";
    this.link.value = "";
    this.expiry.textContent = "";
    this.local.textContent = "";
    this.qr.replaceChildren();
    this.dialog.showModal();
    await this.load("GET", "share");
  }

  async revoke() {
    this.revokeButton.disabled = true;
    try {
      if (await this.load("POST", "share:revoke")) {
        this.feedback.textContent =
          "The old link no longer works and anyone using it has been disconnected. Share this new one.";
      }
    } finally {
      this.revokeButton.disabled = false;
    }
  }

  async load(method, action) {
    const meetingId = this.meetingId;
    try {
      const info = await casenoteRequest(this.token(), method, this.path(action));
      if (meetingId !== this.meetingId) return false;
      this.showLink(info);
      const svg = await casenoteRequest(this.token(), "GET", this.path("share.svg"), { as: "text" });
      if (meetingId !== this.meetingId) return false;
      this.qr.replaceChildren(qrNode(svg));
      return true;
    } catch (error) {
      this.feedback.textContent = `The share link could not be loaded: ${error.message}.`;
      return false;
    }
  }

  showLink(info) {
    this.link.value = info.absolute_url || new URL(info.viewer_url, window.location.href).href;
    const minutes = Math.round((info.valid_for_s_after_end || 0) / 60);
    this.expiry.textContent =
      `It works while the meeting is live and for ${minutes} minute${minutes === 1 ? "" : "s"} ` +
      "after it ends. Withdrawing it disconnects everyone using it.";
    const host = new URL(this.link.value).hostname;
    this.local.replaceChildren();
    if (SHARE_LOOPBACK_HOSTS.has(host)) {
      const option = document.createElement("code");
      option.textContent = "--host";
      this.local.append("This address only works on this computer. For phones and other " +
        "computers, start casenote with ", option, " set to a network address, and TLS.");
    }
  }

  async copy() {
    try {
      await navigator.clipboard.writeText(this.link.value);
      this.feedback.textContent = "Link copied.";
    } catch {
      this.link.focus();
      this.link.select();
      this.feedback.textContent = "The link is selected: press Ctrl+C (or ⌘C) to copy it.";
    }
  }
}

// The server's QR SVG as a node of this page: no scripts, handlers, styles or links.
function qrNode(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const svg = doc.documentElement;
  if (svg.localName !== "svg" || doc.getElementsByTagName("parsererror").length > 0) {
    throw new Error("the QR code was not an SVG image");
  }
  for (const node of [...svg.querySelectorAll("script, foreignObject, style, a")]) node.remove();
  for (const node of [svg, ...svg.querySelectorAll("*")]) {
    for (const attr of [...node.attributes]) {
      if (/^on|^style$|href$/i.test(attr.name)) node.removeAttribute(attr.name);
    }
  }
  const width = parseFloat(svg.getAttribute("width"));
  const height = parseFloat(svg.getAttribute("height"));
  if (!svg.hasAttribute("viewBox") && width > 0 && height > 0) {
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  }
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "QR code of the share link: scan it with a phone camera");
  for (const title of [...svg.querySelectorAll("title, desc")]) title.remove();
  return document.importNode(svg, true);
}
