// onetrip: sign a commitment (承诺书) in the browser with WebCrypto Ed25519.  The key pair is made
// here and the private key is saved to a PKCS#8 PEM file the enterprise keeps (the same format
// `onetrip commitments sign --key` reads); only the public key is sent, to be registered.  To sign,
// the private key file is read back, the canonical bytes are fetched and signed here, and the
// fingerprint and signature fill the usual signature form.  No CDN, no private key on the server.
(function () {
  "use strict";
  const host = document.getElementById("signing");
  if (!host) return;
  const lang = host.dataset.lang || "zh";
  const T = (zh, en) => (lang === "en" ? en : zh);
  const $ = (id) => document.getElementById(id);

  function b64(bytes) {
    let s = "";
    new Uint8Array(bytes).forEach((b) => { s += String.fromCharCode(b); });
    return btoa(s);
  }
  function unb64(text) {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  function unb64url(text) {
    const t = text.replace(/-/g, "+").replace(/_/g, "/");
    return unb64(t + "===".slice((t.length + 3) % 4));
  }
  async function fingerprint(rawPublic) {
    // as commitments/signing.py: hex SHA-256 of the raw 32-byte public key
    const digest = await crypto.subtle.digest("SHA-256", rawPublic);
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function pem(label, der) {
    const lines = b64(der).match(/.{1,64}/g).join("\n");
    return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`;
  }
  function say(el, text, bad) {
    el.textContent = text;
    el.classList.toggle("bad", !!bad);
  }
  function unsupported(el, e) {
    say(el, T("本浏览器无法使用 Ed25519（", "This browser cannot use Ed25519 (") + (e && e.message ? e.message : e) +
      T("）：请使用离线签名", "): sign offline instead"), true);
  }

  const keygen = $("keygen");
  if (keygen) {
    keygen.addEventListener("click", async () => {
      const out = $("newfp");
      try {
        const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
        const pkcs8 = await crypto.subtle.exportKey("pkcs8", pair.privateKey);
        const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
        const fp = await fingerprint(raw);
        const blob = new Blob([pem("PRIVATE KEY", pkcs8)], { type: "application/x-pem-file" });
        const a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = `enterprise-signing-key-${fp.slice(0, 8)}.pem`;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10000);
        $("pubkey").value = b64(raw);
        say(out, T("新公钥指纹：", "New key fingerprint: ") + fp +
          T("。私钥文件已下载，请妥善保管；然后点击“登记公钥”。", ". The private key file was downloaded: keep it safe, then register the public key."));
      } catch (e) {
        unsupported(out, e);
      }
    });
  }

  async function importPrivate(text) {
    const m = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(text);
    if (!m) throw new Error(T("不是 PKCS#8 PEM 私钥文件", "not a PKCS#8 PEM private key file"));
    const der = unb64(m[1].replace(/\s+/g, ""));
    const key = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, true, ["sign"]);
    const jwk = await crypto.subtle.exportKey("jwk", key); // its "x" is the public key
    return { key, fp: await fingerprint(unb64url(jwk.x)) };
  }

  const signButton = $("browsersign");
  if (signButton) {
    signButton.addEventListener("click", async () => {
      const status = $("signstatus");
      const ack = $("ack"); // present when the planned figures miss the plot's indicators
      if (ack && !ack.checked) {
        say(status, T("计划值未达到控制指标：请先勾选确认，再签名", "The planned figures miss the indicators: confirm first, then sign"), true);
        ack.focus();
        return;
      }
      const file = $("privfile").files[0];
      if (!file) {
        say(status, T("请先选择私钥文件", "Choose your private key file first"), true);
        return;
      }
      try {
        const { key, fp } = await importPrivate(await file.text());
        const r = await fetch(host.dataset.canonical, { credentials: "same-origin" });
        if (!r.ok) throw new Error(host.dataset.canonical + " → " + r.status);
        const bytes = await r.arrayBuffer();
        const signature = await crypto.subtle.sign("Ed25519", key, bytes);
        $("sigkey").value = fp;
        $("sigval").value = b64(signature);
        const known = Array.from(document.querySelectorAll("code.fingerprint"), (c) => c.textContent.trim());
        if (!known.includes(fp)) {
          say(status, T("已签名，但该密钥尚未登记（指纹 ", "Signed, but this key is not registered (fingerprint ") + fp +
            T("）：请先登记公钥", "): register the public key first"), true);
          return;
        }
        say(status, T("已在浏览器中签名（密钥 ", "Signed in this browser (key ") + fp.slice(0, 16) +
          T("…），请核对后提交签名", "…); check and submit the signature"));
      } catch (e) {
        unsupported(status, e);
      }
    });
  }
})();
