/* partyflow — the one small script every page loads (base.html). No build step, no inline code:
   the Content-Security-Policy allows scripts from this site only (web/headers.py).

   1. Every form: a second submit while the first is on its way is ignored (double taps); after
      0.3 s its submit button is disabled and says 正在处理… with a spinner. A form whose answer
      is not a new page (a file) opts out with `data-no-busy`.
   2. Every download link (a[download]): fetched in the page, the link says 正在生成… after 0.3 s
      and ignores taps until the file arrives; then the file is saved under the server's name.
      An answer that is not a file (a refusal page) is shown as a normal page would be.
   3. The report page's period select shows the two date inputs only for 自定义日期范围.
   4. A link to an element inside a closed <details> (the candidate page's 材料) opens it.
   5. Every file picker (材料, 台账, 节假日安排, 流程定义) is a Chinese button; the chosen file's name shows below.
   Without this script every page still works (plain submits and links).
*/
(function () {
  "use strict";
  var DELAY = 300;

  function busy(el, text) {
    if (!el) return;
    if (!el.hasAttribute("data-idle-text")) el.setAttribute("data-idle-text", el.textContent);
    el.classList.add("is-busy");
    el.setAttribute("aria-busy", "true");
    el.textContent = text;
  }

  function idle(el) {
    if (!el || !el.hasAttribute("data-idle-text")) return;
    el.textContent = el.getAttribute("data-idle-text");
    el.removeAttribute("data-idle-text");
    el.classList.remove("is-busy");
    el.removeAttribute("aria-busy");
    if (el.tagName === "BUTTON" || el.tagName === "INPUT") el.disabled = false;
  }

  // 1. forms -----------------------------------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented || form.hasAttribute("data-no-busy")) return;
    if (form.getAttribute("data-pf-busy") === "1") {  // already on its way: one request only
      event.preventDefault();
      return;
    }
    form.setAttribute("data-pf-busy", "1");
    var button = event.submitter || form.querySelector("button[type=submit], button:not([type]), input[type=submit]");
    // disabled only after the browser has taken the form (a disabled button's name would be lost)
    form._pfTimer = window.setTimeout(function () {
      if (button) {
        button.disabled = true;
        if (button.tagName === "BUTTON") busy(button, "正在处理…");
        else button.classList.add("is-busy");
      }
    }, DELAY);
  }, false);

  // back/forward cache: a page shown again is usable again
  window.addEventListener("pageshow", function () {
    var forms = document.querySelectorAll("form[data-pf-busy]");
    for (var i = 0; i < forms.length; i++) {
      window.clearTimeout(forms[i]._pfTimer);
      forms[i].removeAttribute("data-pf-busy");
    }
    var els = document.querySelectorAll("[data-idle-text]");
    for (var j = 0; j < els.length; j++) idle(els[j]);
  });

  // 2. downloads -------------------------------------------------------------------------------
  function filename(response, fallback) {
    var cd = response.headers.get("content-disposition") || "";
    var star = /filename\*\s*=\s*(?:utf-8|UTF-8)''([^;]+)/.exec(cd);
    if (star) {
      try { return decodeURIComponent(star[1]); } catch (e) { /* fall through */ }
    }
    var plain = /filename\s*=\s*"?([^";]+)"?/.exec(cd);
    return plain ? plain[1] : fallback;
  }

  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    window.setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 1000);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[download]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (link.protocol === "blob:" || link.protocol === "data:") return;  // our own save() below
    if (!window.fetch || !window.URL || !URL.createObjectURL) return;  // the plain download
    event.preventDefault();
    if (link.getAttribute("data-pf-busy") === "1") return;  // a double tap: one file
    link.setAttribute("data-pf-busy", "1");
    var timer = window.setTimeout(function () { busy(link, "正在生成…"); }, DELAY);
    var done = function () {
      window.clearTimeout(timer);
      link.removeAttribute("data-pf-busy");
      idle(link);
    };
    fetch(link.href, { credentials: "same-origin" }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (!response.ok || type.indexOf("text/html") === 0) {
        done();
        window.location.href = link.href;  // the refusal page, as without this script
        return null;
      }
      return response.blob().then(function (blob) {
        save(blob, filename(response, link.getAttribute("download") || "下载文件"));
        done();
      });
    }).catch(function () {
      done();
      window.location.href = link.href;
    });
  }, false);

  // 5. file pickers are buttons (app.css, under .js); say which file was chosen
  document.documentElement.classList.add("js");
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file") return;
    var form = input.form, note = form && form.querySelector(".chosen");
    if (!note) return;
    var others = form.querySelectorAll("input[type=file]");
    for (var i = 0; i < others.length; i++) if (others[i] !== input) others[i].value = "";  // one file a time
    note.textContent = input.files && input.files.length ? "已选择：" + input.files[0].name : "";
  }, false);

  // 4. a link to a part of the page inside a closed <details> (缺少：… → the material) opens it
  //    After a form that lands on a part of the page (上传 → #m-…), the page's notice (已上传：…) is
  //    moved to just above that part, where the phone's screen is, instead of off screen at the top.
  function openTarget(landing) {
    var id = window.location.hash.slice(1);
    var el = id && document.getElementById(decodeURIComponent(id));
    if (!el) return;
    for (var d = el.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) d.open = true;
    var notes = landing === true ? document.querySelectorAll("main > .flash") : [];
    for (var n = 0; n < notes.length; n++) el.parentNode.insertBefore(notes[n], el);
    if (notes.length) {  // the browser's own jump to #… (which may come later) stops above the notice too
      el.style.scrollMarginTop = (el.getBoundingClientRect().top - notes[0].getBoundingClientRect().top + 8) + "px";
    }
    el.scrollIntoView();
  }
  window.addEventListener("hashchange", openTarget);
  openTarget(true);

  //    A refusal shown far down a long page (a refused upload in 材料) is scrolled to, opened.
  var landing = !window.location.hash && document.querySelector("main [data-land]");
  if (landing) {
    for (var l = landing.closest("details"); l; l = l.parentElement && l.parentElement.closest("details")) l.open = true;
    landing.scrollIntoView({block: "center"});
  }

  // 3. the report's custom date range ----------------------------------------------------------
  function rangeToggle(select) {
    var box = document.querySelector("[data-range-for='" + select.name + "']");
    if (!box) return;
    var on = select.value === "range";
    box.hidden = !on;
    var inputs = box.querySelectorAll("input");
    for (var i = 0; i < inputs.length; i++) inputs[i].disabled = !on;  // not sent when not used
  }

  var selects = document.querySelectorAll("select[data-range-select]");
  for (var k = 0; k < selects.length; k++) {
    rangeToggle(selects[k]);
    selects[k].addEventListener("change", function (event) { rangeToggle(event.target); });
  }
})();
