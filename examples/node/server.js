'use strict';

const express = require('express');

const app = express();
const port = Number(process.env.PORT) || 5000;

app.get('/', (req, res) => {
	res.type('text/plain').send('hello from node (express) on ' +
	    (process.env.DYNO || 'local') + '\n');
});

app.listen(port, '0.0.0.0', () => {
	console.log('node example listening on ' + port);
});
