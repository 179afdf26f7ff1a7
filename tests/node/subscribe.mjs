// Subscribe with the graphql-ws npm client and print what happens as JSON lines on stdout.
// Usage: node subscribe.mjs <ws url> <connectionParams JSON> <query> <variables JSON> <events to wait for>
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, params, query, variables, wanted] = process.argv.slice(2);
const emit = (line) => process.stdout.write(JSON.stringify(line) + "\n");
let received = 0;

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: JSON.parse(params),
  retryAttempts: 0,
  keepAlive: 200, // the client pings every 200 ms and expects pongs
  on: {
    connected: () => emit({ event: "connected" }),
    ping: (fromServer) => emit({ event: "ping", fromServer }),
    pong: (fromServer) => emit({ event: "pong", fromServer }),
    closed: (e) => {
      emit({ event: "closed", code: e.code, reason: e.reason });
      process.exit(0);
    },
  },
});

client.subscribe(
  { query, variables: JSON.parse(variables) },
  {
    next: (result) => {
      emit({ event: "next", result });
      received += 1;
      if (received >= Number(wanted)) client.dispose();
    },
    error: (error) => emit({ event: "error", error: error?.code ? { code: error.code, reason: error.reason } : error }),
    complete: () => emit({ event: "complete" }),
  },
);
