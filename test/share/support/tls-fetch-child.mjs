// Control for the TLS test: node's own fetch, which follows NODE_TLS_REJECT_UNAUTHORIZED, against
// the URL in argv[2]. Proves the self-signed server is reachable when verification is off.
try {
  const response = await fetch(`${process.argv[2]}/ShareWebServices/Services/General/SystemUtcTime`);
  process.stdout.write(`${JSON.stringify({ ok: true, status: response.status })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, message: String(error) })}\n`);
}
