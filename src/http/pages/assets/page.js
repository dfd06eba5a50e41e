// order-doctor buyer page: progressive enhancement only. Without this script every button is a
// plain form post that works; with it, "show and copy" reveals in place and copies the key.
(function () {
  'use strict';
  function status(slot, text) {
    var el = document.getElementById('copy-' + slot);
    if (el) el.textContent = text;
  }
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return Promise.reject(new Error('no clipboard'));
  }
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains('reveal') || !window.fetch) return;
    ev.preventDefault();
    var slot = form.getAttribute('data-slot');
    var list = form.closest('.keys');
    var button = form.querySelector('button');
    if (button) button.disabled = true;
    fetch(form.action, {
      method: 'POST',
      body: new URLSearchParams(new FormData(form)),
      headers: { accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
    })
      .then(function (res) {
        return res.json().then(function (body) { return { ok: res.ok, body: body }; });
      })
      .then(function (r) {
        if (!r.ok) { status(slot, r.body && r.body.message ? r.body.message : String(r.body && r.body.title)); return; }
        var key = (r.body.keys || []).filter(function (k) { return String(k.slot) === slot; })[0];
        if (!key) return;
        var code = document.getElementById('key-' + slot);
        if (code) { code.textContent = key.secret; code.classList.add('shown'); }
        return copy(key.secret).then(
          function () { status(slot, list ? list.getAttribute('data-copied') : 'Copied'); },
          function () {
            if (code) { var range = document.createRange(); range.selectNodeContents(code); var sel = window.getSelection(); if (sel) { sel.removeAllRanges(); sel.addRange(range); } }
            status(slot, list ? list.getAttribute('data-copy-failed') : '');
          },
        );
      })
      .catch(function () { form.submit(); })
      .finally(function () { if (button) button.disabled = false; });
  });
})();
