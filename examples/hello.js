// The server the nodetest job runs.
const http = require('http');
const port = Number(process.env.HELLO_PORT || 8888);
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('Hello World\n');
}).listen(port, '127.0.0.1', () => console.log(`Server running at http://127.0.0.1:${port}/`));
