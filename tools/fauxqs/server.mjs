// Starts fauxqs (an in-memory SQS-compatible server) on 127.0.0.1 only; its CLI would bind 0.0.0.0.
// Usage: node server.mjs <port>   (0 picks a free port). Prints "listening <url>" once it accepts requests.
import { buildApp } from "fauxqs";

const port = Number.parseInt(process.argv[2] ?? "0", 10);
const app = buildApp({ logger: false });
const address = await app.listen({ host: "127.0.0.1", port });
console.log(`listening ${address}`);

const stop = async () => {
  await app.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
