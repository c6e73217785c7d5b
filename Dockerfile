# One image for every process (router, subgraphs, workers); the command picks which.
FROM node:22-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY router/package.json router/
COPY workers/package.json workers/
COPY subgraphs/auth/package.json subgraphs/auth/
COPY subgraphs/academic/package.json subgraphs/academic/
COPY subgraphs/retrieval/package.json subgraphs/retrieval/
COPY subgraphs/tutor/package.json subgraphs/tutor/
RUN npm ci --no-audit --no-fund --omit=dev --ignore-scripts=false
COPY . .
USER node
CMD ["node", "router/src/index.ts"]
