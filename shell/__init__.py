"""The app's shell around the pages: command line, navbar, URL <-> filter sync,
clientside callbacks (their JavaScript is assets/shell.js) and error handling."""
