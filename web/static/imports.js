/* Upload with progress (导入台账) and the double-submit guard of the import, plan and holiday
   pages. No inline script (the Content-Security-Policy forbids it): pages mark their forms with
   data-upload (send by XHR, show the progress, then open the preview) or data-busy (one submit,
   the button says what is happening). Without JavaScript the forms post as usual. */
(function () {
  "use strict";

  function guard(form) {
    form.addEventListener("submit", function (ev) {
      if (form.dataset.sent === "1") { ev.preventDefault(); return; }
      form.dataset.sent = "1";
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.dataset.label = button.textContent;
        button.textContent = form.dataset.busy || "正在提交，请稍候…";
        button.setAttribute("aria-disabled", "true");
        button.classList.add("busy");
      }
      var note = form.querySelector(".busy-note");
      if (note) { note.hidden = false; }
    });
    window.addEventListener("pageshow", function () {  // back button: the form may be used again
      form.dataset.sent = "";
      var button = form.querySelector("button[type=submit]");
      if (button && button.dataset.label) { button.textContent = button.dataset.label; button.classList.remove("busy"); }
    });
  }

  function upload(form) {
    var bar = form.querySelector("progress");
    var status = form.querySelector(".upload-status");
    var error = form.querySelector(".upload-error");
    var button = form.querySelector("button[type=submit]");
    var label = button ? button.textContent : "";
    function done(message) {
      form.dataset.sent = "";
      if (button) { button.textContent = label; button.classList.remove("busy"); button.removeAttribute("aria-disabled"); }
      if (bar) { bar.hidden = true; }
      if (status) { status.textContent = ""; }
      if (message && error) { error.textContent = message; error.hidden = false; }
    }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (form.dataset.sent === "1") { return; }
      form.dataset.sent = "1";
      if (error) { error.hidden = true; error.textContent = ""; }
      if (button) { button.textContent = "正在上传…"; button.classList.add("busy"); button.setAttribute("aria-disabled", "true"); }
      if (bar) { bar.hidden = false; bar.value = 0; bar.max = 100; }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Upload", "1");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable && bar) { bar.value = Math.round(100 * e.loaded / e.total); }
        if (status) { status.textContent = e.lengthComputable ? "已上传 " + Math.round(100 * e.loaded / e.total) + "%" : "正在上传…"; }
      });
      xhr.upload.addEventListener("load", function () {
        if (bar) { bar.removeAttribute("value"); }  // indeterminate: the server is checking the rows
        if (status) { status.textContent = "已上传，正在核对各行，请稍候…"; }
        if (button) { button.textContent = "正在核对…"; }
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status === 200 && body && body.ok) {
          if (status) { status.textContent = "正在生成预览，请稍候…"; }
          window.location.assign(body.next);
          return;
        }
        if (body && body.message) { done(body.message); return; }
        if (xhr.status === 413) { done("文件过大，请拆分后分批导入"); return; }
        if (xhr.status === 403) { done("无权导入，或页面已过期：请刷新页面后重试"); return; }
        done("上传未完成（服务器返回 " + xhr.status + "），请稍后重试");
      });
      xhr.addEventListener("error", function () { done("网络中断，文件未上传完成，请重试"); });
      xhr.send(new FormData(form));
    });
  }

  document.querySelectorAll("form[data-upload]").forEach(upload);
  document.querySelectorAll("form[data-busy]").forEach(guard);
}());
