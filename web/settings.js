"use strict";

// Display settings shared by the recorder and the viewer: caption text size, line
// spacing, theme, dyslexia-friendly text and a caption-only full-screen mode. Kept per
// device in localStorage. Loaded without `defer` in <head>, so the stored choices are on
// <html> (data-theme, data-size, data-spacing, data-dyslexia) before the first paint;
// style.css does the rest. The panel is built into #display-panel once the page is parsed.

(() => {
  const STORAGE_KEY = "casenote.display";
  const SIZES = ["Small", "Medium", "Large", "Larger", "Very large", "Huge"]; // data-size 0…5
  const SPACINGS = { normal: "Normal", relaxed: "Relaxed", loose: "Loose" };
  const THEMES = {
    auto: "Match device",
    light: "Light",
    cream: "Cream",
    dark: "Dark",
    contrast: "High contrast",
  };
  const DEFAULTS = Object.freeze({ size: 1, spacing: "normal", theme: "auto", dyslexia: false });

  const root = document.documentElement;
  const darkQuery = window.matchMedia("(prefers-color-scheme: dark)");
  const contrastQuery = window.matchMedia("(prefers-contrast: more)");

  function storage() {
    try {
      return window.localStorage;
    } catch {
      return null; // storage disabled: choices then last as long as the page
    }
  }

  function valid(saved) {
    const size = Number.isInteger(saved?.size) && SIZES[saved.size] ? saved.size : DEFAULTS.size;
    return {
      size,
      spacing: Object.hasOwn(SPACINGS, saved?.spacing) ? saved.spacing : DEFAULTS.spacing,
      theme: Object.hasOwn(THEMES, saved?.theme) ? saved.theme : DEFAULTS.theme,
      dyslexia: saved?.dyslexia === true,
    };
  }

  function load() {
    try {
      return valid(JSON.parse(storage()?.getItem(STORAGE_KEY) || "null"));
    } catch {
      return valid(null);
    }
  }

  function save(settings) {
    try {
      storage()?.setItem(STORAGE_KEY, JSON.stringify(settings));
    } catch {
      // quota or privacy mode: the choice still applies to this page
    }
  }

  // "Match device" follows the system's contrast and colour-scheme preferences.
  function effectiveTheme(theme) {
    if (theme !== "auto") return theme;
    if (contrastQuery.matches) return "contrast";
    return darkQuery.matches ? "dark" : "light";
  }

  let current = load();

  function apply() {
    root.dataset.theme = effectiveTheme(current.theme);
    root.dataset.themeChoice = current.theme;
    root.dataset.size = String(current.size);
    root.dataset.spacing = current.spacing;
    root.dataset.dyslexia = current.dyslexia ? "on" : "off";
    panel.sync();
  }

  function change(patch) {
    current = valid({ ...current, ...patch });
    save(current);
    apply();
  }

  // ---- the panel ----

  const panel = {
    built: false,
    sync() {},
  };

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("aria") || key === "for" || key === "role") node.setAttribute(toAttr(key), value);
      else node[key] = value;
    }
    node.append(...children);
    return node;
  }

  function toAttr(key) {
    return key.startsWith("aria") ? `aria-${key.slice(4).toLowerCase()}` : key;
  }

  function group(id, label, ...controls) {
    return el(
      "div",
      { className: "setting", role: "group", ariaLabelledby: `${id}-label` },
      el("span", { id: `${id}-label`, className: "setting-label" }, label),
      el("div", { className: "setting-controls" }, ...controls),
    );
  }

  function choiceButtons(name, choices, onPick) {
    return Object.entries(choices).map(([value, label]) => {
      const button = el("button", { type: "button", className: "chip", dataset: { [name]: value } }, label);
      button.addEventListener("click", () => onPick(value));
      return button;
    });
  }

  function buildPanel(container) {
    const smaller = el("button", { type: "button", className: "chip", id: "text-smaller" }, "Smaller");
    const larger = el("button", { type: "button", className: "chip", id: "text-larger" }, "Larger");
    const sizeValue = el("output", { id: "text-size-value", className: "setting-value", ariaLive: "polite" });
    smaller.addEventListener("click", () => change({ size: current.size - 1 }));
    larger.addEventListener("click", () => change({ size: current.size + 1 }));

    const spacing = choiceButtons("spacing", SPACINGS, (value) => change({ spacing: value }));
    const themes = choiceButtons("themeOption", THEMES, (value) => change({ theme: value }));

    const dyslexia = el("input", { type: "checkbox", id: "dyslexia-text" });
    dyslexia.addEventListener("change", () => change({ dyslexia: dyslexia.checked }));

    const captionsOnly = el("button", { type: "button", className: "chip", id: "captions-only" }, "Captions only, full screen");
    captionsOnly.addEventListener("click", () => captionMode.enter());

    container.append(
      el("h2", { id: "display-heading", className: "display-heading" }, "Display"),
      group("text-size", "Caption size", smaller, sizeValue, larger),
      group("spacing", "Line spacing", ...spacing),
      group("theme", "Theme", ...themes),
      el(
        "div",
        { className: "setting setting-check" },
        dyslexia,
        el("label", { for: "dyslexia-text" }, "Dyslexia-friendly text"),
        el("span", { className: "setting-hint", id: "dyslexia-hint" }, "wider spacing, no italics; the Cream theme suits it"),
      ),
      el("div", { className: "setting" }, captionsOnly),
    );
    dyslexia.setAttribute("aria-describedby", "dyslexia-hint");

    panel.sync = () => {
      smaller.disabled = current.size <= 0;
      larger.disabled = current.size >= SIZES.length - 1;
      sizeValue.value = SIZES[current.size];
      for (const button of spacing) button.setAttribute("aria-pressed", String(button.dataset.spacing === current.spacing));
      for (const button of themes) button.setAttribute("aria-pressed", String(button.dataset.themeOption === current.theme));
      dyslexia.checked = current.dyslexia;
    };
    panel.built = true;
    panel.sync();
  }

  function bindToggle(toggle, container) {
    const setOpen = (open) => {
      container.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
    };
    setOpen(false);
    toggle.addEventListener("click", () => setOpen(container.hidden));
    container.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      setOpen(false);
      toggle.focus();
    });
  }

  // ---- caption-only mode: everything but the captions hidden, full screen where allowed ----

  const captionMode = {
    exit: null,
    returnFocus: null,

    enter() {
      this.returnFocus = document.activeElement;
      root.dataset.captionsOnly = "on";
      this.exit.hidden = false;
      this.exit.focus();
      // Phones without the Fullscreen API (iPhone Safari) still get the caption-only layout.
      if (document.fullscreenEnabled && !document.fullscreenElement) {
        root.requestFullscreen?.().catch(() => {});
      }
    },

    leave() {
      if (root.dataset.captionsOnly !== "on") return;
      delete root.dataset.captionsOnly;
      this.exit.hidden = true;
      if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
      const back = this.returnFocus?.isConnected ? this.returnFocus : document.getElementById("display-toggle");
      back?.focus();
    },

    build() {
      this.exit = el("button", { type: "button", id: "captions-exit", className: "button captions-exit", hidden: true }, "Exit captions only");
      this.exit.addEventListener("click", () => this.leave());
      (document.querySelector("main") || document.body).append(this.exit);
      document.addEventListener("fullscreenchange", () => {
        if (!document.fullscreenElement) this.leave();
      });
      document.addEventListener("keydown", (event) => {
        if (event.key === "Escape") this.leave();
      });
    },
  };

  function init() {
    const container = document.getElementById("display-panel");
    const toggle = document.getElementById("display-toggle");
    if (container && toggle) {
      buildPanel(container);
      bindToggle(toggle, container);
    }
    captionMode.build();
  }

  for (const query of [darkQuery, contrastQuery]) query.addEventListener("change", apply);
  window.addEventListener("storage", (event) => {
    if (event.key !== STORAGE_KEY) return;
    current = load(); // another tab on this device changed them
    apply();
  });

  apply();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();

  window.DisplaySettings = { get: () => ({ ...current }), set: change, SIZES, THEMES, SPACINGS };
})();
